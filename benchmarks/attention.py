"""Attention benchmark on SmolLM2, ours beside a reference in the same run.

1. Capture at T = 1024: time and peak extra memory (RSS) of ``capture_attention`` against
   transformers' ``output_attentions=True``, copied to one array layer by layer (each run in a fresh
   process, so one cannot reuse the other's freed memory; 3 runs of each, in turn, medians).
   Target: at most 1.5 GB extra.
2. Redraw: time from a layer/head change in the panel to the finished repaint, against a bare
   ``ImageItem.setImage`` + repaint of the same array (same colour map), at T = 128, 512, 1024.
   The token view is left out of both: it follows on its own 10 Hz throttle.
   Target: under 30 ms at T = 512 and within 2x of the bare call.

Run: python benchmarks/attention.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import isolated_folders  # noqa: F401  (the data and config folders: temporary ones)

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MODEL = "smollm2-135m-instruct"
TEXT = (
    "Attention lets every token look back at the tokens before it. Each head learns its own pattern: "
    "some look at the previous token, some at the first one, some at matching words far away. "
    "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
) * 40
REPEATS = 30


def token_ids(loaded, count: int) -> list[int]:
    ids = loaded.tokenizer(TEXT)["input_ids"]
    assert len(ids) >= count, "benchmark text too short"
    return ids[:count]


class PeakRss:
    """Samples this process's resident memory every 5 ms on a thread; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.baseline = self._process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def measure_capture(side: str, tokens: int) -> dict:
    """One capture in this (fresh) process: seconds and peak extra bytes."""
    import numpy as np
    import torch

    from workbench.core.attention import capture_attention
    from workbench.core.loading import load_model_blocking

    loaded = load_model_blocking(MODEL)
    ids = token_ids(loaded, tokens)
    with torch.no_grad():  # warm up kernels and allocator on a short input
        loaded.model(torch.tensor([ids[:16]]))
    with PeakRss() as rss:
        started = time.perf_counter()
        if side == "ours":
            kept = capture_attention(loaded, ids).main.weights
        else:
            with torch.no_grad():
                attentions = list(loaded.model(torch.tensor([ids]), output_attentions=True).attentions)
            first = attentions[0][0]  # (H, T, T)
            # (L, H, T, T) on the CPU in float16, like ours: the comparison is of the capture, not of the dtype.
            kept = np.empty((len(attentions), *first.shape), np.float16)
            for layer in range(len(attentions)):  # each layer freed as it is copied: the lean way to keep them
                kept[layer] = attentions[layer][0].half().numpy()
                attentions[layer] = None
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "extra_bytes": rss.peak - rss.baseline, "kept_bytes": int(kept.nbytes),
            "dtype": str(kept.dtype)}


def run_side(side: str, tokens: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", side, "--tokens", str(tokens)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def capture_report(tokens: int = 1024, rounds: int = 3) -> None:
    """Each side ``rounds`` times, in turn, each run in a fresh process; the medians count."""
    runs: dict[str, list[dict]] = {"ours": [], "reference": []}
    for round_index in range(rounds):
        for side in ("ours", "reference") if round_index % 2 == 0 else ("reference", "ours"):
            runs[side].append(run_side(side, tokens))
    ours, reference = ({key: statistics.median(run[key] for run in side_runs) if key != "dtype" else side_runs[0][key]
                        for key in side_runs[0]} for side_runs in runs.values())
    gb = 1024**3
    print(f"capture T={tokens}: ours {ours['seconds']:.2f} s, peak extra {ours['extra_bytes'] / gb:.2f} GB "
          f"(keeps {ours['kept_bytes'] / gb:.2f} GB {ours['dtype']}) | reference output_attentions "
          f"{reference['seconds']:.2f} s, peak extra {reference['extra_bytes'] / gb:.2f} GB | "
          f"memory ratio {ours['extra_bytes'] / reference['extra_bytes']:.2f}, "
          f"time ratio {ours['seconds'] / reference['seconds']:.2f} (target: ours <= 1.5 GB)")


def redraw_report() -> None:
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from workbench.core.attention import capture_attention
    from workbench.core.loading import load_model_blocking
    from workbench.qt.attention.panel import AttentionPanel
    from workbench.qt.common.app_state import AppState

    app = QApplication.instance() or QApplication([])
    loaded = load_model_blocking(MODEL)
    state = AppState()
    state.set_loaded_model(loaded)
    panel = AttentionPanel(state)
    panel.resize(1400, 900)
    panel.show()
    bare = pg.GraphicsLayoutWidget()
    bare_image = pg.ImageItem(axisOrder="row-major")
    bare_image.setColorMap(pg.colormap.get("viridis"))  # the same colours as the panel's default
    bare.addPlot().addItem(bare_image)
    bare.show()
    for tokens in (128, 512, 1024):
        capture = capture_attention(loaded, token_ids(loaded, tokens))
        panel.show_capture(capture)
        bare.resize(panel.heatmap.size())
        app.processEvents()
        views = [(i % capture.main.layers, (i * 4) % capture.main.heads) for i in range(REPEATS + 1)]
        ours, reference = [], []
        for layer, head in views:
            started = time.perf_counter()
            panel.layer_slider.setValue(layer)
            panel.head_spin.setValue(head)
            panel.flush_redraw(token_view=False)  # the token view follows on its own 10 Hz throttle
            panel.heatmap.repaint()
            app.processEvents()
            ours.append(time.perf_counter() - started)
            panel.flush_redraw()  # let the token view catch up outside the timed part
            app.processEvents()

            same = np.ascontiguousarray(capture.main.weights[layer, head], dtype=np.float32)
            started = time.perf_counter()
            bare_image.setImage(same)
            bare.repaint()
            app.processEvents()
            reference.append(time.perf_counter() - started)
        ours_ms, reference_ms = statistics.median(ours[1:]) * 1e3, statistics.median(reference[1:]) * 1e3
        print(f"redraw T={tokens} ({capture.stored_dtype}): ours {ours_ms:.1f} ms, bare setImage+repaint "
              f"{reference_ms:.1f} ms, ratio {ours_ms / reference_ms:.2f} (target: < 30 ms at T=512, ratio < 2)")
    panel.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--measure", choices=("ours", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--tokens", type=int, default=1024)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_capture(args.measure, args.tokens)))
        return
    capture_report(args.tokens)
    redraw_report()


if __name__ == "__main__":
    main()
