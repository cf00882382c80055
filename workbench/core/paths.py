"""Where the workbench keeps caches, user data and settings.

Each location can be moved with an environment variable, which the tests use to
keep their files out of the user's folders.
"""

import os
from pathlib import Path

import platformdirs

_APP = "generation-workbench"


def _dir(env_var: str, default: str) -> Path:
    path = Path(os.environ.get(env_var) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


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
    path = data_dir() / "trained"
    path.mkdir(parents=True, exist_ok=True)
    return path
