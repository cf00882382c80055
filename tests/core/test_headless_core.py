"""The core must work without Qt: import every core module with the Qt bindings blocked."""

import subprocess
import sys

SCRIPT = r"""
import importlib, pkgutil, sys
for blocked in ("PySide6", "pyqtgraph", "superqt", "qtpy", "PyQt5", "PyQt6"):
    sys.modules[blocked] = None  # any import of these now raises ImportError
import workbench.core
for module in pkgutil.walk_packages(workbench.core.__path__, "workbench.core."):
    importlib.import_module(module.name)
print("ok")
"""


def test_core_imports_without_qt():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
