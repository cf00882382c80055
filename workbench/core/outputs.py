"""Where work writes its results, checked before the work starts so that nothing is lost to a
place that turns out to be a file, a folder, full of another run, or not writable."""

from __future__ import annotations

import errno
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.core import paths
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP


def _cannot_write_in(folder: Path, error: OSError) -> InvalidInputError:
    return InvalidInputError(
        QT_TRANSLATE_NOOP("Errors", "Cannot write results in {folder}: {reason}.").fill(
            folder=folder, reason=error.strerror or str(error)
        )
    )


def check_output_folder(folder: Path, resume: bool = False, how_to_resume: str = "") -> Path:
    """``folder`` can take a run's results: it is a folder or can be made one where it stands, it is empty unless
    resuming, and files can be written there. Nothing is created. ``how_to_resume`` names the caller's way to
    resume (a CLI flag, a button) in the refusal of a busy folder."""
    folder = _not_a_file(paths.usable(Path(folder).expanduser()))
    if resume and not folder.is_dir():
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "There is no run to resume in {folder}: the folder does not exist.").fill(
                folder=folder
            )
        )
    if not resume and folder.is_dir() and any(folder.iterdir()):
        if how_to_resume:
            raise InvalidInputError(
                QT_TRANSLATE_NOOP(
                    "Errors",
                    "{folder} already exists and is not empty: choose a new folder, or resume the run that is in it "
                    "({how_to_resume}).",
                ).fill(folder=folder, how_to_resume=how_to_resume)
            )
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors",
                "{folder} already exists and is not empty: choose a new folder, or resume the run that is in it.",
            ).fill(folder=folder)
        )
    return _writable(folder)


def check_shared_folder(folder: Path) -> Path:
    """``folder`` can take files beside those it holds (TensorBoard's, where several runs write theirs): it is a
    folder or can be made one where it stands, and files can be written there. Nothing is created."""
    return _writable(_not_a_file(paths.usable(Path(folder).expanduser())))


def _not_a_file(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{folder} is a file, not a folder: choose a folder for the results.").fill(
                folder=folder
            )
        )
    return folder


def _writable(folder: Path) -> Path:
    standing = next(place for place in (folder, *folder.parents) if place.exists())  # where it would be made
    try:
        if not standing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        with tempfile.TemporaryFile(dir=standing):
            pass
    except OSError as error:
        raise _cannot_write_in(folder, error) from error
    return folder


def prepare_output_folder(folder: Path, resume: bool = False, how_to_resume: str = "") -> list[Path]:
    """``check_output_folder``, then make the folder (and its missing parents). Returns the folders it made, the
    deepest first, so that work refused before it wrote anything can leave the place as it found it
    (``remove_made_folders``)."""
    folder = check_output_folder(folder, resume, how_to_resume)
    made = missing_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_write_in(folder, error) from error
    return made


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, the deepest first: what making it will make."""
    return [place for place in (folder, *folder.parents) if not place.exists()]


def remove_made_folders(made: list[Path]) -> None:
    """Removes the folders made for work (``missing_folders``, deepest first) that are still empty."""
    for place in made:
        try:
            place.rmdir()
        except OSError:
            continue  # something was written there after all: it stays (and the folders above it are not empty)


def check_output_file(path: Path, suffix: str) -> Path:
    """``path`` can be written as a new ``suffix`` file: its folder exists and takes files, and nothing is
    there yet (an earlier result is never replaced). Missing folders are not created behind the person's back."""
    path = paths.usable(Path(path).expanduser())
    if not path.name:  # "" reads as the current folder
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Give a file name ending in {suffix}.").fill(suffix=suffix)
        )
    if path.suffix.lower() != suffix:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} must be a {suffix} file.").fill(path=path, suffix=suffix)
        )
    if path.is_dir():
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} is a folder: give a file name ending in {suffix}.").fill(
                path=path, suffix=suffix
            )
        )
    if path.exists() or path.is_symlink():
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} already exists: give a new file name, or move the old file away.").fill(
                path=path
            )
        )
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            message = QT_TRANSLATE_NOOP("Errors", "Cannot write {name}: {folder} is a file. Create the folder first.")
        else:
            message = QT_TRANSLATE_NOOP(
                "Errors", "Cannot write {name}: {folder} does not exist. Create the folder first."
            )
        raise InvalidInputError(message.fill(name=path.name, folder=folder))
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Cannot write {path}: {reason}.").fill(
                path=path, reason=error.strerror or str(error)
            )
        ) from error
    return path


LOCK_ATTEMPTS, LOCK_RETRY_S = 10, 0.02  # a folder lock is refused only after 0.2 s of others holding it
HOLD_WAIT_S = 5.0  # what ``folder_held`` waits for another holder


def _locked_folder(folder: Path, exclusive: bool) -> int | None:
    """An open descriptor of ``folder`` holding a flock on it (shared or exclusive), or None where the system
    or the file system has no locks, or the folder cannot be opened (training there says why soon enough).
    Raises BlockingIOError while another open of the folder, in any process, holds a conflicting one."""
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise
    except OSError:  # a file system without locks
        os.close(fd)
        return None
    return fd


@contextmanager
def folder_held(folder: Path) -> Iterator[None]:
    """Hold ``folder`` against every other ``folder_held`` of it, in any process or thread, while a file in it is
    read, changed and written back (two trainers registering their steps at once lost each other's). Waits up to
    ``HOLD_WAIT_S`` for the holder, then goes on unguarded: a run trained into this very folder holds it for
    hours (``RunFolderLock``). Where the system or the file system has no locks, nothing is guarded."""
    fd = None
    deadline = time.monotonic() + HOLD_WAIT_S
    while True:
        try:
            fd = _locked_folder(folder, exclusive=True)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                break
            time.sleep(LOCK_RETRY_S)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def training_in(folder: Path) -> bool | None:
    """Whether a process (this one included) trains in ``folder`` now: it holds the folder's ``RunFolderLock``
    (a killed one has let go). None where the system or the file system has no locks: nothing tells."""
    try:
        fd = _locked_folder(folder, exclusive=False)
    except BlockingIOError:
        return True
    if fd is None:
        return None
    os.close(fd)  # and the shared lock with it
    return False


class RunFolderLock:
    """Keeps a second process from training in ``folder`` while this one does (a run resumed there twice
    would write over this one's checkpoint). The folder itself is locked, so no file is left in it, and the
    lock goes with the process, a killed one too; where the system or the file system has no locks, nothing
    is guarded."""

    def __init__(self, folder: Path) -> None:
        self._fd: int | None = None
        for _attempt in range(LOCK_ATTEMPTS):
            try:
                self._fd = _locked_folder(folder, exclusive=True)
                return
            except BlockingIOError:
                # A window listing the runs holds a shared lock for a moment (``training_in``): wait that out.
                time.sleep(LOCK_RETRY_S)
        raise InvalidInputError(
            QT_TRANSLATE_NOOP(
                "Errors", "Another process is training in {folder}: let it finish, or stop it, before running "
                "there."
            ).fill(folder=Path(folder))
        )

    def release(self) -> None:
        """Let go of the folder (again: nothing)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
