"""Where the workbench keeps caches, user data and settings.

Each location can be moved with an environment variable, which the tests use to
keep their files out of the user's folders.
"""

import os
from pathlib import Path

import platformdirs

from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP

_APP = "generation-workbench"


def _made(path: Path) -> Path:
    """``path``, made when missing. A folder that cannot be made (a read-only disk, a file in the way, one
    left owned by root) is returned all the same: reading it finds nothing, and a write there fails with
    its own message, so the rest of the workbench still works (``writable`` tells the window to say so)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    return path


def _dir(env_var: str, default: str) -> Path:
    return _made(Path(os.environ.get(env_var) or default))


def cache_dir() -> Path:
    """Rebuildable data: converted GGUF weights, assembled model files."""
    return _dir("WORKBENCH_CACHE_DIR", platformdirs.user_cache_dir(_APP))


def data_dir() -> Path:
    """User data that must survive: sessions, trained models, checkpoints."""
    return _dir("WORKBENCH_DATA_DIR", platformdirs.user_data_dir(_APP))


def config_dir() -> Path:
    """Settings and presets."""
    return _dir("WORKBENCH_CONFIG_DIR", platformdirs.user_config_dir(_APP))


def trained_models_dir() -> Path:
    """Default home of models trained in the workbench."""
    return _made(data_dir() / "trained")


def writable(folder: Path) -> bool:
    """Whether files can be written in ``folder`` (a folder, with write access, on a writable disk)."""
    return folder.is_dir() and os.access(folder, os.W_OK)


def usable(path: Path) -> Path:
    """``path`` when the system can look it up; else InvalidInputError saying why (a name over 255 bytes, a
    path over the system's limit), where ``exists()`` and ``is_dir()`` would raise an OSError on first look."""
    try:
        path.exists()
    except OSError as error:
        shown = str(path) if len(str(path)) <= 60 else f"{str(path)[:60]}…"
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} cannot be used: {reason}.").fill(path=shown, reason=error.strerror)
        ) from error
    return path
