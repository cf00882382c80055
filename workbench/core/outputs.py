"""Where work writes its results, checked before the work starts so that nothing is lost to a
place that turns out to be a file, a folder, full of another run, or not writable."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workbench.core.errors import InvalidInputError


def prepare_output_folder(folder: Path, resume: bool = False, how_to_resume: str = "") -> Path:
    """Create ``folder`` if needed and prove it writable; a non-empty folder is refused unless resuming.
    ``how_to_resume`` names the caller's way to resume (a CLI flag, a button) in that refusal."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"{folder} is a file, not a folder: choose a folder for the results.")
    if resume and not folder.is_dir():
        raise InvalidInputError(f"There is no run to resume in {folder}: the folder does not exist.")
    if not resume and folder.is_dir() and any(folder.iterdir()):
        raise InvalidInputError(
            f"{folder} already exists and is not empty: choose a new folder, or resume the run that is in it"
            + (f" ({how_to_resume})." if how_to_resume else ".")
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InvalidInputError(f"Cannot write results in {folder}: {error.strerror or error}.") from error
    return folder


def check_output_file(path: Path, suffix: str) -> Path:
    """``path`` can be written as a ``suffix`` file: its folder exists and takes files, and it is
    not itself a folder. Missing folders are not created behind the person's back."""
    path = Path(path).expanduser()
    if path.suffix.lower() != suffix:
        raise InvalidInputError(f"{path} must be a {suffix} file.")
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder: give a file name ending in {suffix}.")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise InvalidInputError(f"Cannot write {path.name}: {folder} {what}. Create the folder first.")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InvalidInputError(f"Cannot write {path}: {error.strerror or error}.") from error
    return path
