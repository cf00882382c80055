"""Training from the window against the CLI: tokens/s with the same settings and seed.

The settings are the training form's "Try training on Tang poems" preset, cut to a few hundred
steps. The CLI side is the real `workbench train` in its own process, as a person runs it; the
window side starts the real TrainingPanel (shown, offscreen) in this process and runs the event
loop until the run ends. Each repeat runs both, alternating who goes first (the load of a shared
machine drifts); the verdict is the median of the pairs' ratios. Tokens/s is the tokens of the steps
after the first 10 over the trainer's own elapsed time from step 10 to the last (`elapsed_s` in each
run's metrics.csv: evaluations and checkpoints included, process start-up and a fresh process's first
steps not), the same work on both sides. The validation losses must be identical. Target:
window/CLI >= 0.95.

    python benchmarks/training_gui.py [--steps 300] [--repeats 4]

Everything is written under one temporary folder (data, settings and output folders).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import isolated_folders  # the data and config folders: temporary ones

_TEMP = Path(isolated_folders.SCRATCH)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import torch  # noqa: E402
from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.cli.options import flag_name  # noqa: E402
from workbench.cli.train import FLAGS as TRAIN_FLAGS  # noqa: E402
from workbench.core.catalog import Catalog  # noqa: E402
from workbench.core.training.run_folder import METRICS_FILE  # noqa: E402
from workbench.core.training.settings import TrainSettings  # noqa: E402
from workbench.qt.common.app_state import AppState  # noqa: E402
from workbench.qt.training.panel import TrainingPanel  # noqa: E402

SETTLING_STEPS = 10  # left out of both sides' times


@dataclasses.dataclass
class Measured:
    seconds: float
    val_loss: float | None
    gui_cpu_s: float = 0.0  # CPU time of the GUI thread during a window run


def tang_settings(panel: TrainingPanel, steps: int) -> TrainSettings:
    """The form's one-click preset, as a person gets it, with ``steps`` steps."""
    panel.form.use_sample_corpus()
    panel.form.set_values(max_iters=steps)
    return panel.form.settings()


def cli_run(settings: TrainSettings) -> Measured:
    """`workbench train` with the same settings, in a process of its own (the CLI as a person runs it)."""
    command = [sys.executable, "-m", "workbench", "train"]
    unused = settings.unused_settings()  # the form hides these; the CLI refuses them
    for name, value in dataclasses.asdict(settings).items():
        if name in unused:
            continue
        flag = TRAIN_FLAGS.get(name, flag_name(name))
        if isinstance(value, bool):
            command += [flag] if value else []
        elif isinstance(value, (tuple, list)):
            for item in value:  # given once per item
                command += [flag, str(item)]
        elif value is not None:
            command += [flag, str(value)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return measured_from_metrics(Path(settings.out_dir))


def measured_from_metrics(out_dir: Path, gui_cpu_s: float = 0.0) -> Measured:
    """The time after the first SETTLING_STEPS steps: a CLI run starts in a fresh process, the window's in one
    that has trained before, and the first steps of a fresh process pay for what a warm one has done."""
    with open(out_dir / METRICS_FILE, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    val_losses = [float(row["val_loss"]) for row in rows if row["val_loss"]]
    seconds = float(rows[-1]["elapsed_s"]) - float(rows[SETTLING_STEPS - 1]["elapsed_s"])
    return Measured(seconds, val_losses[-1] if val_losses else None, gui_cpu_s)


def window_run(panel: TrainingPanel, settings: TrainSettings) -> Measured:
    panel.form.set_values(out_dir=settings.out_dir)
    loop = QEventLoop()  # the window's own event loop: idle waits sleep, as in the app
    panel.run.ended.connect(loop.quit)
    gui_started = time.thread_time()
    panel.start()
    loop.exec()
    gui_cpu_s = time.thread_time() - gui_started
    panel.run.ended.disconnect(loop.quit)
    if panel.last_result is None:
        raise SystemExit(f"the window's run did not finish: {panel.status_label.text()}")
    return measured_from_metrics(Path(settings.out_dir), gui_cpu_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=4, help="pairs of runs, in turn; the verdict is their median")
    args = parser.parse_args()

    _app = QApplication.instance() or QApplication(sys.argv)  # held for the whole run
    panel = TrainingPanel(AppState(Catalog()))
    panel.resize(1400, 800)
    panel.show()
    settings = tang_settings(panel, args.steps)
    tokens = (settings.max_iters - SETTLING_STEPS) * settings.batch_size * settings.block_size * settings.grad_accum
    print(f"Tang-poem preset: {settings.max_iters} steps, {tokens:,} tokens; torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs (a shared machine makes the numbers noisy)", flush=True)

    best: dict[str, Measured] = {}
    pair_ratios: list[float] = []  # window speed / CLI speed of each pair
    for attempt in range(args.repeats):
        pair: dict[str, Measured] = {}
        order = ("cli", "window") if attempt % 2 == 0 else ("window", "cli")
        for side in order:
            run_settings = dataclasses.replace(settings, out_dir=str(_TEMP / f"{side}-{attempt}"))
            measured = cli_run(run_settings) if side == "cli" else window_run(panel, run_settings)
            print(f"{side:6s} run {attempt + 1}: {tokens / measured.seconds:9,.0f} tokens/s "
                  f"({measured.seconds:.1f} s), validation loss {measured.val_loss:.6f}"
                  + (f", GUI thread busy {measured.gui_cpu_s:.2f} s" if side == "window" else ""), flush=True)
            pair[side] = measured
            if side not in best or measured.seconds < best[side].seconds:
                best[side] = measured
        pair_ratios.append(pair["cli"].seconds / pair["window"].seconds)
    panel.shutdown()
    panel.close()  # its throttled redraws land now, not while Python tears the widgets down
    cli_speed, window_speed = (tokens / best[side].seconds for side in ("cli", "window"))
    same = best["cli"].val_loss == best["window"].val_loss
    print(f"CLI {cli_speed:,.0f} tokens/s, validation loss {best['cli'].val_loss:.6f}; "
          f"window {window_speed:,.0f} tokens/s, validation loss {best['window'].val_loss:.6f} "
          f"({'identical' if same else 'DIFFERENT'}); best window / best CLI {window_speed / cli_speed:.3f}")
    median = statistics.median(pair_ratios)
    print(f"window/CLI speed, median of {len(pair_ratios)} pairs (target >= 0.95): {median:.3f} "
          f"(pairs: {', '.join(f'{ratio:.3f}' for ratio in pair_ratios)})")


if __name__ == "__main__":
    main()
