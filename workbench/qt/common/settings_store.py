"""The window's persistent settings (layout, device choice, user presets).

An INI file in the workbench's config folder, not the platform registry, so tests
can redirect it with ``WORKBENCH_CONFIG_DIR``.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from workbench.core.paths import config_dir


def app_settings() -> QSettings:
    return QSettings(str(config_dir() / "workbench.ini"), QSettings.Format.IniFormat)
