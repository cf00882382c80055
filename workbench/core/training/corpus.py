"""Reading a training corpus: one UTF-8 file, or every .txt file below a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import InvalidInputError


@dataclass(frozen=True)
class Corpus:
    text: str
    files: tuple[Path, ...]


def _read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInputError(f"Cannot read {path}: {error.strerror or error}.") from error
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is not part of the text
    except UnicodeDecodeError as error:
        bad = data[error.start]
        raise InvalidInputError(
            f"{path} is not UTF-8 text: the byte 0x{bad:02x} at offset {error.start} is not valid UTF-8. "
            "Save it as UTF-8 and try again."
        ) from error
    if "\0" in text:  # valid UTF-8 can still be a binary file
        raise InvalidInputError(f"{path} is not a text file: it has a NUL byte at offset {data.index(0)}.")
    return text


def read_corpus(path: str | Path) -> Corpus:
    """The whole corpus as one string; files of a folder are joined in sorted order."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidInputError(f"Corpus not found: {path}")
    if path.is_dir():
        files = tuple(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        if not files:
            raise InvalidInputError(f"The folder {path} has no .txt files to train on.")
    else:
        files = (path,)
    texts = [_read_utf8(file) for file in files]
    text = "\n".join(t for t in texts if t)
    if not text.strip():
        what = "file" if path.is_file() else "folder's .txt files"
        raise InvalidInputError(f"The corpus {what} {path} is empty: it needs some text to learn from.")
    return Corpus(text=text, files=files)
