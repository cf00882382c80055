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
