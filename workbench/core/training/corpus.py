"""Reading a training corpus: one UTF-8 file, or every .txt file below a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core import paths
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class Corpus:
    text: str
    files: tuple[Path, ...]


def read_utf8_text(path: Path) -> str:
    """One text file as the corpus reader reads it: UTF-8 (a byte-order mark dropped), no NUL bytes."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Cannot read {path}: {reason}.").fill(
                path=path, reason=error.strerror or str(error)
            )
        ) from error
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is not part of the text
    except UnicodeDecodeError as error:
        bad = data[error.start]
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "{path} is not UTF-8 text: the byte 0x{byte:02x} at offset {offset} is not valid UTF-8. "
                "Save it as UTF-8 and try again.",
            ).fill(path=path, byte=bad, offset=error.start)
        ) from error
    if "\0" in text:  # valid UTF-8 can still be a binary file
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} is not a text file: it has a NUL byte at offset {offset}.").fill(
                path=path, offset=data.index(0)
            )
        )
    return text


def read_corpus(path: str | Path) -> Corpus:
    """The whole corpus as one string; files of a folder are joined in sorted order."""
    path = paths.usable(Path(path).expanduser())
    if not path.exists():
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} does not exist: give a text file or a folder of .txt files.").fill(
                path=path
            )
        )
    if path.is_dir():
        files = tuple(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        if not files:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors", "The folder {path} has no .txt files: give a text file or a folder that holds some."
                ).fill(path=path)
            )
    else:
        files = (path,)
    texts = [read_utf8_text(file) for file in files]
    text = "\n".join(t for t in texts if t)
    if not text.strip():
        if path.is_dir():
            message = QT_TRANSLATE_NOOP("Errors", "The .txt files in the folder {path} are empty: give some with text.")
        else:  # a file, or what reads as one (/dev/null)
            message = QT_TRANSLATE_NOOP("Errors", "The text file {path} is empty: give one with some text.")
        raise InvalidInputError(message.fill(path=path))
    return Corpus(text=text, files=files)


def train_token_count(tokens: int, val_fraction: float) -> int:
    """How many of a corpus's ``tokens`` tokens, from its start, are for training; the rest are for validation."""
    return int(tokens * (1 - val_fraction))


def split_problem(tokens: int, val_fraction: float, block_size: int) -> InvalidInputError | None:
    """Why a corpus of ``tokens`` tokens cannot be split for training (each part must hold more than a block and its
    next token), naming the part that is short and only the advice that helps; None when it can."""
    train_tokens = train_token_count(tokens, val_fraction)
    val_tokens = tokens - train_tokens
    shortest = block_size + 1
    if min(train_tokens, val_tokens) > shortest:
        return None
    counts = {"tokens": tokens, "train_tokens": train_tokens, "val_tokens": val_tokens, "shortest": shortest}
    if tokens <= 2 * shortest:  # no split of so few tokens holds two blocks
        return InvalidInputError(QT_TRANSLATE_NOOP(
            "Errors", "The corpus is too short: {tokens} tokens leave {train_tokens} for training and {val_tokens} "
            "for validation, and each needs more than block size + 1 = {shortest}. {advice}"
        ).fill(**counts, advice=QT_TRANSLATE_NOOP("Errors", "Use more text or a smaller block size.")))
    if val_tokens <= shortest:
        return InvalidInputError(QT_TRANSLATE_NOOP(
            "Errors", "The validation part of the corpus is too short: {val_tokens} of its {tokens} tokens, and it "
            "needs more than block size + 1 = {shortest}. Use more text, a smaller block size or a larger validation "
            "fraction."
        ).fill(**counts))
    return InvalidInputError(QT_TRANSLATE_NOOP(
        "Errors", "The training part of the corpus is too short: {train_tokens} of its {tokens} tokens, and it "
        "needs more than block size + 1 = {shortest}. Use more text, a smaller block size or a smaller "
        "validation fraction."
    ).fill(**counts))
