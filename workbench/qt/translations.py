"""Keeping the translation in step with the code, with Qt's own tools (they ship with PySide6):

    python -m workbench.qt.translations

reads every user-visible text of the package into ``workbench_zh_CN.ts`` (``pyside6-lupdate``: texts
in ``tr()``, ``QCoreApplication.translate`` and the core's ``QT_TRANSLATE_NOOP``; new ones arrive
unfinished, removed ones are dropped), then compiles it into the ``.qm`` the app loads
(``pyside6-lrelease``). Translate the unfinished entries (Qt Linguist, or any editor) and run it again;
a test fails while an entry is unfinished or the ``.qm`` is out of date.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from workbench.qt.common.language import translations_dir

PACKAGE = Path(__file__).resolve().parent.parent
SOURCE = "workbench_zh_CN.ts"
COMPILED = "workbench_zh_CN.qm"


def _tool(name: str) -> str:
    """A PySide6 tool: beside this Python (a virtual environment's bin), else on the PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def update_sources() -> None:
    files = sorted(str(path) for path in PACKAGE.rglob("*.py"))
    subprocess.run([_tool("pyside6-lupdate"), *files, "-locations", "none", "-no-obsolete", "-target-language",
                    "zh_CN", "-ts", str(translations_dir() / SOURCE)], check=True, capture_output=True)


def compile_translations(out_dir: Path) -> Path:
    """Compile the ``.ts`` into ``out_dir``; returns the ``.qm``."""
    target = Path(out_dir) / COMPILED
    subprocess.run([_tool("pyside6-lrelease"), str(translations_dir() / SOURCE), "-qm", str(target)], check=True,
                   capture_output=True)
    return target


if __name__ == "__main__":
    update_sources()
    print(f"updated {translations_dir() / SOURCE}; compiled {compile_translations(translations_dir())}")
