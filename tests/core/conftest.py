"""What the trainer's tests share: a small corpus mixing English and Chinese lines."""

from __future__ import annotations

import pytest

TEXT = (
    "the cat sat on the mat. the dog sat on the log. a cat and a dog sat together.\n"
    "春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。\n"
) * 30


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path
