"""Does the window stay responsive while the real default model generates?

In one run: the headless engine generates 128 tokens (generate() drained directly),
then the main window generates the same request while a 5 ms QTimer on the GUI
thread records how late each tick arrives (event-loop stalls). Prints p50/p99/max
stall and the window's tokens/s as a ratio of the headless engine's.
Targets: p99 stall < 50 ms, ratio >= 0.9.

    python benchmarks/ui_latency.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window autosaves its session and layout: into a scratch folder, never the user's own.
_SCRATCH = tempfile.TemporaryDirectory(prefix="workbench-ui-latency-")
os.environ["WORKBENCH_DATA_DIR"] = f"{_SCRATCH.name}/data"
os.environ["WORKBENCH_CONFIG_DIR"] = f"{_SCRATCH.name}/config"

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.core.decoding import DecodingSettings  # noqa: E402
from workbench.core.generation import GenerationRequest, generate  # noqa: E402
from workbench.core.jobs import drain  # noqa: E402
from workbench.core.loading import load_model_blocking  # noqa: E402

TICK_MS = 5
NEW_TOKENS = 128
REQUEST = GenerationRequest(
    prompt="Write a short story about a robot who learns to paint.",
    settings=DecodingSettings(mode="greedy", max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS),
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    _app = QApplication.instance() or QApplication([])  # kept referenced while the window runs
    from workbench.qt.main_window import MainWindow

    loaded = load_model_blocking("smollm2-135m-instruct")
    drain(generate(loaded, GenerationRequest("Hi", DecodingSettings(mode="greedy", max_new_tokens=4))))  # warm up
    headless = drain(generate(loaded, REQUEST))

    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    window.use_loaded_model(loaded)
    stalls: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(TICK_MS)

    def tick() -> None:
        stalls.append(max(0.0, clock.restart() - TICK_MS))

    ticker.timeout.connect(tick)
    finished: list = []
    loop = QEventLoop()
    window.state.generation_finished.connect(lambda record: (finished.append(record), loop.quit()))
    clock.start()
    ticker.start()
    window.generate(REQUEST)
    started = time.perf_counter()
    loop.exec()
    ticker.stop()
    in_window = finished[0].result
    assert len(in_window.sequences[0].token_ids) == NEW_TOKENS and in_window.text == headless.text
    window.close()

    ratio = in_window.tokens_per_s / headless.tokens_per_s
    print(f"headless engine: {headless.tokens_per_s:.1f} tokens/s; "
          f"in the window: {in_window.tokens_per_s:.1f} tokens/s; "
          f"ratio {ratio:.2f} (target >= 0.9)")
    print(f"GUI event-loop stall over {len(stalls)} ticks in {time.perf_counter() - started:.1f} s: "
          f"p50 {statistics.median(stalls):.1f} ms, p99 {percentile(stalls, 0.99):.1f} ms, "
          f"max {max(stalls):.1f} ms (target p99 < 50 ms)")


if __name__ == "__main__":
    main()
