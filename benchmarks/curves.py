"""GUI-thread stalls while the loss curves receive 100k points at 10 Hz.

A 5 ms QTimer measures how late the GUI thread serves it. Phase one (the reference)
shows the training panel's loss view with no traffic; phase two feeds 10k points per 100 ms tick into
the smoothed train loss and the learning rate (plus one validation point per tick),
up to 100k points each, while the widget redraws itself. Both phases run in this one
process, so the ratio is fair on a noisy machine. Target: p99 stall under 50 ms.

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/curves.py
    (without a display it falls back to Qt's offscreen platform)
"""

from __future__ import annotations

import argparse
import os
import sys

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)
import numpy as np

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.qt.training.curves import TrainingCurves  # noqa: E402

PROBE_MS = 5
TICK_MS = 100
POINTS_PER_TICK = 10_000
TOTAL_POINTS = 100_000


def make_loss_panel() -> TrainingCurves:
    """The training panel's loss view as the person sees it: loss and learning-rate plots, samples list."""
    panel = TrainingCurves()
    panel.resize(1200, 700)
    panel.show()
    return panel


def measure_stalls(app: QApplication, seconds: float, on_tick=None) -> np.ndarray:
    """Lateness (ms) of every 5 ms probe while the event loop runs for ``seconds``."""
    clock = QElapsedTimer()
    lateness: list[float] = []
    last = [0.0]

    def probe() -> None:
        now = clock.nsecsElapsed() / 1e6
        lateness.append(max(0.0, now - last[0] - PROBE_MS))
        last[0] = now

    probe_timer = QTimer()
    probe_timer.setTimerType(Qt.TimerType.PreciseTimer)
    probe_timer.setInterval(PROBE_MS)
    probe_timer.timeout.connect(probe)
    producer = QTimer()
    producer.setInterval(TICK_MS)
    if on_tick is not None:
        producer.timeout.connect(on_tick)
    clock.start()
    probe_timer.start()
    producer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    probe_timer.stop()
    producer.stop()
    return np.asarray(lateness[1:])


def feeder(panel: TrainingCurves):
    rng = np.random.default_rng(0)
    sent = [0]

    def tick() -> None:
        if sent[0] >= TOTAL_POINTS:
            return
        steps = np.arange(sent[0], sent[0] + POINTS_PER_TICK, dtype=np.float64)
        xs = np.column_stack([steps, steps * 768, steps * 0.02])  # (N, 3): step, tokens, seconds
        loss = 1.5 + 3.0 * np.exp(-steps / 20_000) + rng.normal(0, 0.1, size=len(steps))
        lr = 1e-3 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * steps / TOTAL_POINTS)))
        panel.curves.extend(panel.train_name, xs, loss)
        panel.curves.extend(panel.lr_name, xs, lr)
        panel.curves.append(panel.val_name, xs[-1], float(loss[-100:].mean()))
        sent[0] += POINTS_PER_TICK

    return tick, sent


def describe(name: str, stalls: np.ndarray) -> str:
    p50, p99 = np.percentile(stalls, [50, 99])
    return f"{name:<34} probes={len(stalls):5d}  p50={p50:6.2f} ms  p99={p99:6.2f} ms  max={stalls.max():7.2f} ms"


def main() -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"Qt platform: {app.platformName()}")
    panel = make_loss_panel()
    measure_stalls(app, 1.0)  # warm-up: first paint, font caches
    seconds = TOTAL_POINTS / POINTS_PER_TICK * TICK_MS / 1000 + 2.0  # feeding, then redraws at 100k
    idle = measure_stalls(app, seconds)
    tick, sent = feeder(panel)
    busy = measure_stalls(app, seconds, on_tick=tick)
    drawn = len(panel.curves.points(panel.train_name))
    print(describe("reference: curves idle, no traffic", idle))
    print(describe(f"ours: {sent[0] // 1000}k points at 10 Hz", busy))
    print(f"points in train loss: {drawn}; p99 ratio ours/reference: "
          f"{np.percentile(busy, 99) / max(np.percentile(idle, 99), 1e-3):.1f}x")
    verdict = "PASS" if np.percentile(busy, 99) < 50 else "FAIL"
    print(f"target p99 < 50 ms: {verdict}")
    panel.close()
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
