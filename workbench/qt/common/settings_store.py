"""The window's persistent settings (layout, device choice, user presets).

An INI file in the workbench's config folder, not the platform registry, so tests
can redirect it with ``WORKBENCH_CONFIG_DIR``.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from workbench.core.paths import config_dir


def app_settings() -> QSettings:
    return QSettings(str(config_dir() / "workbench.ini"), QSettings.Format.IniFormat)


def written(store: QSettings) -> bool:
    """Write ``store``'s changes to its file now; False when they could not be (the file is read-only, a
    folder stands in its place): the caller says so rather than lose them without a word."""
    store.sync()
    return store.status() == QSettings.Status.NoError
