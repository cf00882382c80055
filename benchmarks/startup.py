"""Time from process start to the main window shown and painted, against a bare Qt window.

Target (issue 10): the window is visible within 2 s of launch; torch, transformers and the
inspector panels are imported after that, and the default model loads on a worker. Each side
runs in a fresh process, alternately, with its own empty config and data folders (a benchmark
never touches the person's settings or session).

    xvfb-run -a python benchmarks/startup.py [--repeats 5]     (or with a real display)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

# Both children print the seconds from their first line to the first paint of their window.
WORKBENCH = """
import time; start = time.perf_counter()
import sys
from PySide6.QtWidgets import QApplication
from workbench.qt import main_window
def shown(self):  # replaces the default-model load, which starts right after the first paint
    print(time.perf_counter() - start, flush=True); QApplication.instance().quit()
main_window.MainWindow.start_default_load = shown
from workbench.qt.launch import launch_gui
sys.exit(launch_gui())
"""
BARE_QT = """
import time; start = time.perf_counter()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); window = QMainWindow(); window.resize(1600, 1000); window.show()
def shown():
    print(time.perf_counter() - start, flush=True); app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


TARGET_S = 2.0


def seconds_to_window(code: str) -> float:
    with tempfile.TemporaryDirectory(prefix="workbench-startup-") as scratch:
        env = {**os.environ, "WORKBENCH_DATA_DIR": f"{scratch}/data", "WORKBENCH_CONFIG_DIR": f"{scratch}/config"}
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    if result.returncode != 0:
        raise SystemExit(f"the child failed: {result.stderr.strip().splitlines()[-1:]}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ours, bare = [], []
    for _ in range(args.repeats):
        ours.append(seconds_to_window(WORKBENCH))
        bare.append(seconds_to_window(BARE_QT))
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(f"bare Qt window: median {bare_median:.2f} s ({', '.join(f'{t:.2f}' for t in bare)})")
    print(f"workbench window: median {ours_median:.2f} s ({', '.join(f'{t:.2f}' for t in ours)})")
    print(f"target: window visible < {TARGET_S:.0f} s: {'met' if ours_median < TARGET_S else 'NOT met'}")
    print(f"ratio workbench/bare: {ours_median / bare_median:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
