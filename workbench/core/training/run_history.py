"""A run read back from its folder: what the Training panel draws for a run it did not watch (a
run stopped in an earlier session, a finished one, one a separate process writes).

Everything comes from the files the trainer writes as it goes: ``metrics.csv`` (one row per step),
``heads.jsonl``, ``probes.jsonl`` and ``samples.jsonl`` (one line per evaluation) and the kept
``step-NNNNNNN`` folders; the settings from the run's checkpoint. The events are the ones the
trainer yielded while it ran, so a panel draws both the same way.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.checkpoints import STATE_FILE
from workbench.core.errors import InvalidInputError
from workbench.core.head_scores import HeadScores
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.probes import PROBES_FILE, read_probes
from workbench.core.training.settings import TrainSettings
from workbench.core.training.snapshots import snapshot_steps
from workbench.core.training.step_log import read_step_log
from workbench.core.training.trainer import (
    CHECKPOINT_FOLDER,
    HEADS_FILE,
    METRICS_COLUMNS,
    METRICS_FILE,
    SAMPLES_FILE,
    stopped_run,
)


@dataclass(frozen=True)
class RunHistory:
    folder: Path
    settings: TrainSettings | None  # None when the run has no readable checkpoint
    steps: tuple[StepEvent, ...]
    evaluations: tuple[EvalEvent, ...]  # with their head scores, probes and samples where the run kept them
    snapshots: tuple[int, ...]  # the steps whose models are kept


def _float_or_nan(text: str) -> float:
    return float(text) if text.strip() else math.nan


def _tokens_per_step(run_folder: Path) -> float:
    """Tokens one step consumes, from the run's saved settings; NaN when they are not there."""
    for folder in (run_folder / CHECKPOINT_FOLDER, run_folder):
        try:
            settings = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))["settings"]
            return float(settings["batch_size"] * settings["block_size"] * settings["grad_accum"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return math.nan


def read_metrics_csv(path: str | Path) -> dict[str, np.ndarray]:
    """A run's metrics.csv as columns (val_loss NaN between evaluations) plus ``tokens``
    (NaN when the run's settings are not next to it)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"Cannot read {path}: {error}.") from error
    if not rows or any(column not in rows[0] for column in METRICS_COLUMNS):
        raise InvalidInputError(f"{path} is not a training metrics file (columns {', '.join(METRICS_COLUMNS)}).")
    try:
        columns = {name: np.array([_float_or_nan(row[name]) for row in rows]) for name in METRICS_COLUMNS}
    except ValueError as error:
        raise InvalidInputError(f"{path} has a value that is not a number: {error}.") from error
    columns["tokens"] = columns["step"] * _tokens_per_step(path.parent)
    return columns


def _by_step(path: Path) -> dict[int, list[dict]]:
    """The lines of a step log grouped by step; none when the run did not write it."""
    grouped: dict[int, list[dict]] = {}
    if path.is_file():
        for record in read_step_log(path):
            grouped.setdefault(record["step"], []).append(record)
    return grouped


def read_run(folder: str | Path, up_to_step: int | None = None) -> RunHistory:
    """The run in ``folder`` as its events, up to ``up_to_step`` (all of it when None: a resumed run
    continues from its checkpoint's step, so the panel draws only what the resumed run keeps)."""
    folder = Path(folder)
    if not (folder / METRICS_FILE).is_file():
        raise InvalidInputError(f"{folder} is not a training run: it has no {METRICS_FILE}.")
    columns = read_metrics_csv(folder / METRICS_FILE)
    last = math.inf if up_to_step is None else up_to_step
    heads = _by_step(folder / HEADS_FILE)
    samples = _by_step(folder / SAMPLES_FILE)
    probes: dict[int, list] = {}
    if (folder / PROBES_FILE).is_file():
        for record in read_probes(folder / PROBES_FILE):
            probes.setdefault(record.step, []).append(record)

    steps, evaluations, since_eval = [], [], []
    for row in range(len(columns["step"])):
        step = int(columns["step"][row])
        if step > last:
            break
        tokens = columns["tokens"][row]
        event = StepEvent(step, float(columns["train_loss"][row]), float(columns["lr"][row]),
                          float(columns["tokens_per_s"][row]), 0 if math.isnan(tokens) else int(tokens),
                          float(columns["elapsed_s"][row]))
        steps.append(event)
        since_eval.append(event.train_loss)
        val_loss = float(columns["val_loss"][row])
        if math.isnan(val_loss):
            continue
        scores = HeadScores.from_json(heads[step][-1]) if step in heads else None
        sample = samples[step][-1]["sample"] if step in samples else ""
        evaluations.append(EvalEvent(step, val_loss, math.exp(min(val_loss, 700.0)), float(np.mean(since_eval)),
                                     sample, event.tokens_seen, event.elapsed_s, scores, tuple(probes.get(step, ()))))
        since_eval = []
    found = stopped_run(folder)
    kept = tuple(step for step in snapshot_steps(folder) if step <= last)
    return RunHistory(folder, found[0] if found else None, tuple(steps), tuple(evaluations), kept)
