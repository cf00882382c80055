"""README: "Run any of them with `.venv/bin/python benchmarks/NAME.py` (`--help` lists the options)". The ones
that draw with Qt must do so on a machine without a display too (it has Xvfb but no DISPLAY: curves.py aborted
in Qt's xcb plugin); they run concurrently, as each spends its seconds importing torch and Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT_BENCHMARKS = sorted(path for path in (ROOT / "benchmarks").glob("*.py") if "PySide6" in path.read_text())


def test_the_qt_benchmarks_help_without_a_display():
    assert len(QT_BENCHMARKS) >= 4
    environment = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "QT_QPA_PLATFORM")}
    runs = {path.name: subprocess.Popen([sys.executable, str(path), "--help"], cwd=ROOT, env=environment,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for path in QT_BENCHMARKS}
    try:
        for name, run in runs.items():
            out, err = run.communicate(timeout=120)
            assert run.returncode == 0 and out.startswith("usage:"), f"{name}: {run.returncode}\n{out}\n{err}"
    finally:  # a failure or a timeout leaves no process behind
        for run in runs.values():
            run.kill()
            run.wait()
