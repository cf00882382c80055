"""A one-line text input for a text the model reads (the Attention and Lens pages)."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

# QLineEdit keeps 32,767 characters by default and cuts a longer paste without a word; the whole text must reach
# the model's own length check, which says how long it is.
MAX_TEXT_CHARS = 2**31 - 1


def model_text_line() -> QLineEdit:
    line = QLineEdit()
    line.setMaxLength(MAX_TEXT_CHARS)
    return line
