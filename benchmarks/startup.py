"""Time from process start to the main window shown and painted, against a bare Qt window.

Target (issue 3): the window appears within 5 s of launch; the default model then
loads on a worker. Each side runs in a fresh process, alternately.

    xvfb-run -a python benchmarks/startup.py [--repeats 3]     (or with a real display)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

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


def seconds_to_window(code: str) -> float:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"the child failed: {result.stderr.strip().splitlines()[-1:]}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ours, bare = [], []
    for _ in range(args.repeats):
        ours.append(seconds_to_window(WORKBENCH))
        bare.append(seconds_to_window(BARE_QT))
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(f"bare Qt window: median {bare_median:.2f} s ({', '.join(f'{t:.2f}' for t in bare)})")
    print(f"workbench window: median {ours_median:.2f} s ({', '.join(f'{t:.2f}' for t in ours)})")
    print(f"target < 5 s: {'met' if ours_median < 5 else 'NOT met'}")
    print(f"ratio workbench/bare: {ours_median / bare_median:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
