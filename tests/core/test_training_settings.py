"""Training settings and corpus reading give one clear message per problem."""

import pytest

from workbench.core.errors import InvalidInputError, InvalidSettingsError
from workbench.core.training.corpus import read_corpus
from workbench.core.training.settings import TrainSettings


def test_defaults_follow_nanogpt_and_are_valid():
    settings = TrainSettings(corpus="c.txt", out_dir="out")
    assert settings.problems() == []
    assert settings.effective_min_lr == pytest.approx(1e-4)
    assert (settings.weight_decay, settings.grad_clip, settings.warmup_iters) == (0.1, 1.0, 100)


@pytest.mark.parametrize("changes, lr", [
    ({}, 1e-3),
    ({"arch": "lstm"}, 1e-3),
    ({"arch": "finetune", "tokenizer": "pretrained", "base_model": "m"}, 5e-5),
    ({"arch": "finetune", "tokenizer": "pretrained", "base_model": "m", "lora": True}, 2e-4),
    ({"arch": "finetune", "tokenizer": "pretrained", "base_model": "m", "lr": 3e-4}, 3e-4),  # typed: used as is
])
def test_an_auto_learning_rate_suits_the_kind_of_run(changes, lr):
    """A full fine-tune at a from-scratch 1e-3 undoes the pretrained weights within a few steps."""

    settings = TrainSettings(corpus="c.txt", out_dir="out", **changes)
    assert settings.effective_lr == lr and settings.effective_min_lr == pytest.approx(lr / 10)
    assert settings.learning_rate(settings.warmup_iters) == pytest.approx(lr)  # what the optimizer is given


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"arch": "transformer"}, "Architecture must be one of"),
        ({"n_embd": 130, "n_head": 4}, "divisible by the number of heads"),
        ({"lr": 0}, "Learning rate must be greater than 0"),
        ({"min_lr": 1.0}, "Final learning rate must be at most the learning rate"),
        ({"dropout": 1.0}, "Dropout"),
        ({"val_fraction": 0}, "Validation share must be greater than 0 and below 1"),
        ({"arch": "finetune", "tokenizer": "pretrained"}, "needs a base model"),
        ({"tokenizer": "pretrained"}, "'pretrained' tokenizer is for fine-tuning"),
        ({"lora": True}, "LoRA only applies"),
        ({"batch_size": 0}, "Batch size must be at least 1"),
    ],
)
def test_problems_are_human_messages(changes, fragment):
    settings = TrainSettings(corpus="c.txt", out_dir="out", **changes)
    assert any(fragment in problem for problem in settings.problems())
    with pytest.raises(InvalidSettingsError, match=fragment):
        settings.validate()


def test_a_warmup_as_long_as_the_run_is_noted_with_the_rate_it_reaches():
    """A 60-step run kept the default 100 warmup steps: its rate stopped at 59 % of the peak, and nothing said so."""

    short = TrainSettings(corpus="c.txt", out_dir="o", max_iters=60, warmup_iters=100, lr=1e-3)
    (note,) = short.notes()
    last = short.learning_rate(short.max_iters - 1)  # what the trainer sets at its last step
    assert f"{last:.3g}" == "0.000594" and f"to {last:.3g} of 0.001, and never decays" in note
    assert not short.problems()  # allowed: it is said, not refused
    assert TrainSettings(corpus="c.txt", out_dir="o", max_iters=101, warmup_iters=100).notes() == []


def test_corpus_folder_joins_txt_files_in_sorted_order(tmp_path):
    (tmp_path / "b.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "ignored.md").write_text("not text to train on", encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert corpus.text == "first\nsecond"
    assert [p.name for p in corpus.files] == ["a.txt", "b.txt"]


def test_non_utf8_corpus_names_the_file(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café au lait".encode("latin-1"))
    with pytest.raises(InvalidInputError, match=r"latin1\.txt is not UTF-8") as refused:
        read_corpus(bad)
    assert "0xe9 at offset 3" in str(refused.value)  # "caf" then the latin-1 é


def test_a_binary_file_is_not_a_corpus(tmp_path):
    binary = tmp_path / "weights.txt"
    binary.write_bytes(b"abc\x00\x01\x02")  # valid UTF-8, but not text
    with pytest.raises(InvalidInputError, match=r"weights\.txt is not a text file: it has a NUL byte at offset 3"):
        read_corpus(binary)


@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_empty_corpus_is_refused(tmp_path, content):
    empty = tmp_path / "empty.txt"
    empty.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match="empty"):
        read_corpus(empty)


def test_missing_corpus_and_folder_without_text(tmp_path):
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_corpus(tmp_path / "nope.txt")
    with pytest.raises(InvalidInputError, match="no .txt files"):
        read_corpus(tmp_path)
