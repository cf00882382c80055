"""Write files and folders so that a crash leaves the old version or the new, never half of one."""

import json
import os
import shutil
import stat
import tempfile
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterator


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


# tempfile makes its files 0600 and folders 0700, private to their owner. What is written here is a result
# (a model, a run's files, a checkpoint that other processes of a cluster run read): a new one gets the
# permissions any file the person writes gets, as open() and mkdir() would give it; a replaced one keeps its own
# (a session someone made private stays private).
_UMASK = _read_umask()
FILE_MODE = 0o666 & ~_UMASK
FOLDER_MODE = 0o777 & ~_UMASK


def _set_mode(path: Path, mode: int) -> None:
    with suppress(OSError):  # a file system without POSIX permissions (FAT, some network shares) keeps its own
        os.chmod(path, mode)


def _mode_of(path: Path, default: int) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _set_mode(Path(tmp), _mode_of(path, FILE_MODE))
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, value: Any) -> None:
    write_text_atomic(path, json.dumps(value, indent=2, ensure_ascii=False))


# A staging file or folder untouched this long was left by a process killed while writing it.
STALE_STAGING_S = 600


def new_staging_file(final: Path) -> Path:
    """A new empty file beside ``final``, of its own (other threads and processes get others), to write the
    next version of ``final`` in before renaming it into place."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    return Path(name)


def set_aside(final: Path) -> Path:
    """Where ``atomic_directory`` moves the last version of ``final`` while it renames the new one in."""
    return final.with_name(f".{final.name}.old")


def damaged_name(path: Path) -> Path:
    """Where a file that cannot be read is kept, beside ``path``: a name no earlier one has, even within a second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.damaged-{stamp}-{uuid.uuid4().hex[:8]}{path.suffix}")


def remove_stale_staging(final: Path) -> None:
    """Remove what killed processes left while writing ``final`` (a whole checkpoint or model each)."""
    for stale in Path(final).parent.glob(f".{Path(final).name}.*.tmp"):
        try:
            touched = [stale, *stale.rglob("*")] if stale.is_dir() else [stale]
            newest = max(path.stat().st_mtime for path in touched)
        except (OSError, ValueError):
            continue
        if time.time() - newest > STALE_STAGING_S:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def recover_replaced(final: Path) -> None:
    """A process killed between ``atomic_directory``'s two renames left no ``final``, only its last version
    set aside: put that back."""
    final = Path(final)
    old = set_aside(final)
    if not final.exists() and old.is_dir():
        with suppress(OSError):
            os.replace(old, final)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (names made or renamed in it) to the disk. Windows cannot open a folder:
    there NTFS journals the names itself."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# Windows flushes a file only through a handle that may write it (_commit); elsewhere reading is enough.
_SYNC_OPEN_FLAGS = os.O_RDWR if os.name == "nt" else os.O_RDONLY


def _sync_tree(root: Path) -> None:
    """Flush every file under ``root``, then the folders that name them, so that a power cut after the
    rename finds the new version whole on the disk, not names pointing at data never written."""
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                fd = os.open(os.path.join(folder, name), _SYNC_OPEN_FLAGS)
            except PermissionError:  # a file its writer made read-only (Windows): the system flushes it in time
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _sync_folder(Path(folder))


@contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a fresh staging folder beside ``final``; on success it replaces ``final`` whole."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    recover_replaced(final)
    remove_stale_staging(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        _set_mode(staging, _mode_of(final, FOLDER_MODE))
        yield staging
        _sync_tree(staging)
        old = None
        if final.exists():
            old = set_aside(final)
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        os.replace(staging, final)
        _sync_folder(final.parent)  # the new name on the disk before the last version goes
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
