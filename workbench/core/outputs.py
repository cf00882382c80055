"""Where a run writes its results, checked before the run starts so that no work is lost
to a folder that turns out to be a file, full of another run, or not writable."""

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
