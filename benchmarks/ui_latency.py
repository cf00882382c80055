"""Does the window stay responsive while the real default model generates?

In one run, in turn (3 times each by default): the headless engine generates 128 tokens
(generate() drained directly), the main window generates the same request on its Generate
page, and the window generates it with the Attention page shown, which streams every step's
attention rows into the growing heatmap (live attention). Then one more run of each window
kind with a 5 ms QTimer on the GUI thread that records how late each tick arrives (event-loop
stalls). Prints p50/p99/max stall of both, the window's best tokens/s as a ratio of the
headless engine's, and live attention's best as a ratio of the window's without it.
Targets: p99 stall < 50 ms (both), window/headless >= 0.9, live attention/window >= 0.85.

    python benchmarks/ui_latency.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from worker_thread import on_worker_thread  # noqa: E402

from workbench.core.decoding import DecodingSettings  # noqa: E402
from workbench.core.generation import GenerationRequest, generate  # noqa: E402
from workbench.core.jobs import drain  # noqa: E402
from workbench.core.loading import load_model_blocking  # noqa: E402

TICK_MS = 5
NEW_TOKENS = 128
HEADLESS, WINDOW, LIVE = "headless", "window", "live attention"
ATTENTION_PAGE = 1
REQUEST = GenerationRequest(
    prompt="Write a short story about a robot who learns to paint.",
    settings=DecodingSettings(mode="greedy", max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS),
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def in_the_window(window, stalls: list[float] | None = None):
    """One generation of REQUEST in the window; with ``stalls``, how late each 5 ms tick of the GUI
    thread came. The probe itself wakes the GUI thread 200 times a second, which on 2 cores slows
    generation by 5-10 %: speed runs go without it."""
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(lambda: stalls.append(max(0.0, clock.restart() - TICK_MS)))
    finished: list = []
    loop = QEventLoop()
    window.state.generation_finished.connect(lambda record: (finished.append(record), loop.quit()))
    clock.start()
    if stalls is not None:
        ticker.start()
    window.generate(REQUEST)
    loop.exec()
    ticker.stop()
    window.state.generation_finished.disconnect()
    # The Attention panel captures every finished run on a worker: let it end before the next run.
    attention = window.panels[0][1].build()
    while attention.is_capturing():
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return finished[0].result


def run_side(side: str, window, loaded, stalls: list[float] | None = None):
    """One generation of REQUEST: headless, or in the window on the Generate page or, for live
    attention, on the Attention page (shown, it asks the generation for each step's rows)."""
    if side == HEADLESS:  # on a thread of its own, as the window's generation runs
        return on_worker_thread(lambda: drain(generate(loaded, REQUEST)))[1]
    window.pages.setCurrentIndex(ATTENTION_PAGE if side == LIVE else 0)
    assert window.state.live_attention == (side == LIVE)
    return in_the_window(window, stalls)


def stall_summary(stalls: list[float]) -> str:
    return (f"p50 {statistics.median(stalls):.1f} ms, p99 {percentile(stalls, 0.99):.1f} ms, "
            f"max {max(stalls):.1f} ms over {len(stalls)} ticks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind, in turn")
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])  # kept referenced while the window runs
    from workbench.qt.main_window import MainWindow

    loaded = load_model_blocking("smollm2-135m-instruct")
    drain(generate(loaded, GenerationRequest("Hi", DecodingSettings(mode="greedy", max_new_tokens=4))))  # warm up
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    window.use_loaded_model(loaded)

    stalls: dict[str, list[float]] = {WINDOW: [], LIVE: []}
    speeds: dict[str, list[float]] = {HEADLESS: [], WINDOW: [], LIVE: []}
    sides = tuple(speeds)
    started = time.perf_counter()
    for repeat in range(args.repeats):
        # Rotate who goes first, so drifting machine load hits all alike.
        for side in sides[repeat % 3:] + sides[:repeat % 3]:
            result = run_side(side, window, loaded)
            assert len(result.sequences[0].token_ids) == NEW_TOKENS
            speeds[side].append(result.tokens_per_s)
            print(f"  repeat {repeat + 1} {side:14s} {result.tokens_per_s:.1f} tokens/s", flush=True)
    for side, side_stalls in stalls.items():  # the stall probe's own runs
        run_side(side, window, loaded, side_stalls)
    window.close()

    # Other load only ever slows a run down: each side's best run is its least noisy speed.
    best = {side: max(values) for side, values in speeds.items()}
    print(f"{time.perf_counter() - started:.1f} s in all")
    print(f"GUI event-loop stall, window: {stall_summary(stalls[WINDOW])} (target p99 < 50 ms)")
    print(f"GUI event-loop stall, window with live attention: {stall_summary(stalls[LIVE])} (target p99 < 50 ms)")
    print(f"headless engine: best {best[HEADLESS]:.1f} tokens/s; in the window: best {best[WINDOW]:.1f} tokens/s; "
          f"ratio {best[WINDOW] / best[HEADLESS]:.2f} (target >= 0.9)")
    print(f"window with live attention: best {best[LIVE]:.1f} tokens/s; ratio to the window without it "
          f"{best[LIVE] / best[WINDOW]:.2f} (target >= 0.85)")


if __name__ == "__main__":
    main()
