"""A run read back from its folder: what the Training panel draws for a run it did not watch (a
run stopped in an earlier session, a finished one, one a separate process writes).

Everything comes from the files the trainer writes as it goes: ``metrics.csv`` (one row per step),
``heads.jsonl``, ``probes.jsonl`` and ``samples.jsonl`` (one line per evaluation) and the kept
``step-NNNNNNN`` folders; the settings from the run's checkpoint. The events are the ones the
trainer yielded while it ran, so a panel draws both the same way.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from workbench.core.checkpoints import STATE_FILE
from workbench.core.errors import InvalidInputError
from workbench.core.head_scores import HeadScores
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.core.outputs import training_in
from workbench.core.settings_fields import settings_from_data
from workbench.core.training.events import EvalEvent, StepEvent, perplexity_of
from workbench.core.training.probes import PROBES_FILE, read_probes
from workbench.core.training.run_folder import (
    CHECKPOINT_FOLDER,
    HEADS_FILE,
    METRICS_COLUMNS,
    METRICS_FILE,
    RUN_FILE,
    SAMPLES_FILE,
    stopped_run,
)
from workbench.core.training.settings import TrainSettings
from workbench.core.training.snapshots import snapshot_steps
from workbench.core.training.step_log import read_step_log


@dataclass(frozen=True)
class RunHistory:
    folder: Path
    settings: TrainSettings | None  # None when the run has no readable checkpoint
    steps: tuple[StepEvent, ...]
    evaluations: tuple[EvalEvent, ...]  # with their head scores, probes and samples where the run kept them
    snapshots: tuple[int, ...]  # the steps whose models are kept
    # The evaluations read without some of their logs, with the logs that held them (a synced folder may
    # bring a metrics row before its sample; a recurrent model never writes head scores).
    partial_evaluations: dict[int, frozenset[str]] = field(default_factory=dict)


def _float_or_nan(text: str) -> float:
    return float(text) if text.strip() else math.nan


def _run_layout(run_folder: Path) -> dict | None:
    """The run's settings and number of processes: from ``run.json``, written as the run starts, else
    (runs of earlier versions) from its checkpoint or final model; None when none is readable."""
    for path in (run_folder / RUN_FILE, run_folder / CHECKPOINT_FOLDER / STATE_FILE, run_folder / STATE_FILE):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(state.get("settings"), dict):
                return state
        except (OSError, ValueError, AttributeError):
            continue
    return None


def run_settings(run_folder: str | Path) -> TrainSettings | None:
    """The settings the run in ``run_folder`` trains with, None when it says none (or ones not valid here); its
    folder is ``run_folder``, wherever it started."""
    layout = _run_layout(Path(run_folder))
    try:
        settings = settings_from_data(TrainSettings, layout["settings"]) if layout else None
    except (ValueError, KeyError, TypeError):
        return None
    return replace(settings, out_dir=str(run_folder)) if settings is not None else None


def run_probes(run_folder: str | Path) -> tuple[str, ...]:
    """The probe texts the run in ``run_folder`` reads at each evaluation, as its ``run.json`` says them (runs of
    earlier versions: none)."""
    layout = _run_layout(Path(run_folder)) or {}
    probes = layout.get("probes")
    return tuple(probe for probe in probes if isinstance(probe, str)) if isinstance(probes, list) else ()


@dataclass(frozen=True)
class TokenCounts:
    """Tokens a run has learnt from after each step, all processes together: a resume may change the batch
    or the number of processes, so each stretch of steps has its own size."""

    sizes: tuple[tuple[int, int], ...]  # (first step of the stretch, tokens per step), in step order; () unknown

    def at(self, steps):
        """Tokens after ``steps`` (a number or an array of them); NaN when the run does not say its sizes."""
        steps = np.asarray(steps, dtype=float)
        if not self.sizes:
            return np.full_like(steps, math.nan)
        starts = np.array([start for start, _ in self.sizes], dtype=float)  # (S,)
        sizes = np.array([size for _, size in self.sizes], dtype=float)  # (S,)
        before = np.concatenate([[0.0], np.cumsum(np.diff(starts) * sizes[:-1])])  # (S,) tokens at each start
        stretch = np.clip(np.searchsorted(starts, steps, side="right") - 1, 0, None)
        return before[stretch] + (steps - starts[stretch]) * sizes[stretch]


def token_counts(run_folder: Path) -> TokenCounts:
    """The sizes of the run's steps, from its ``run.json`` or checkpoint (runs of earlier versions: one size,
    from their settings and number of processes); unknown when neither says."""
    layout = _run_layout(run_folder)
    try:
        history = layout.get("batch_history")
        if history:
            return TokenCounts(tuple((int(size["from_step"]), int(size["tokens_per_step"])) for size in history))
        settings = layout["settings"]
        processes = layout.get("world_size", 1)
        return TokenCounts(((0, settings["batch_size"] * settings["block_size"] * settings["grad_accum"] * processes),))
    except (AttributeError, KeyError, TypeError, ValueError):
        return TokenCounts(())


def _metrics_rows(path: Path, starting: bool = False) -> list[dict[str, str]]:
    """The complete rows of a metrics.csv (a row another process is writing waits: it ends at the last line
    break), checked to be one (InvalidInputError in one line when not). Only the header is none yet; with
    ``starting`` (the run's folder says it has begun) so is an empty file."""
    try:
        text = path.read_text(encoding="utf-8")
        reader = csv.DictReader(io.StringIO(text[: text.rfind("\n") + 1]))
        rows = list(reader)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "Cannot read {path}: {reason}.").fill(path=path, reason=str(error))
        ) from error
    if starting and reader.fieldnames is None:
        return []
    if any(column not in (reader.fieldnames or ()) for column in METRICS_COLUMNS):
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{path} is not a training metrics file (columns {columns}).").fill(
                path=path, columns=", ".join(METRICS_COLUMNS)
            )
        )
    return rows


def _not_a_number(path: Path, error: Exception) -> InvalidInputError:
    return InvalidInputError(
        QT_TRANSLATE_NOOP("Errors", "{path} has a value that is not a number: {reason}.").fill(
            path=path, reason=str(error)
        )
    )


def read_metrics_csv(path: str | Path) -> dict[str, np.ndarray]:
    """A run's metrics.csv as columns (val_loss NaN between evaluations) plus ``tokens``
    (NaN when the run's settings are not next to it)."""
    path = Path(path)
    rows = _metrics_rows(path)
    try:
        columns = {name: np.array([_float_or_nan(row[name]) for row in rows]) for name in METRICS_COLUMNS}
    except (ValueError, AttributeError) as error:
        raise _not_a_number(path, error) from error
    columns["tokens"] = token_counts(path.parent).at(columns["step"])
    return columns


def step_event(row: dict[str, str], counts: TokenCounts) -> StepEvent:
    """The StepEvent the trainer yielded for a row of its metrics.csv (ValueError when a value is not a number)."""
    step = int(row["step"])
    tokens = 0 if not counts.sizes else int(counts.at(step))
    return StepEvent(step, float(row["train_loss"]), float(row["lr"]), float(row["tokens_per_s"]), tokens,
                     float(row["elapsed_s"]))


class EvaluationLogs:
    """The run's samples, head scores and probes of each evaluation, read once."""

    FILES = (SAMPLES_FILE, PROBES_FILE, HEADS_FILE)

    def __init__(self, folder: Path) -> None:
        self.heads = self._by_step(folder / HEADS_FILE)
        self.samples = self._by_step(folder / SAMPLES_FILE)
        self.probes: dict[int, list] = {}
        if (folder / PROBES_FILE).is_file():
            for record in read_probes(folder / PROBES_FILE):
                self.probes.setdefault(record.step, []).append(record)

    @staticmethod
    def _by_step(path: Path) -> dict[int, list[dict]]:
        """The lines of a step log grouped by step; none when the run did not write it."""
        grouped: dict[int, list[dict]] = {}
        if path.is_file():
            for record in read_step_log(path):
                grouped.setdefault(record["step"], []).append(record)
        return grouped

    def holding(self, step: int) -> frozenset[str]:
        """The logs that hold the evaluation at ``step``: some of ``FILES``."""
        by_file = zip(self.FILES, (self.samples, self.probes, self.heads), strict=True)
        return frozenset(name for name, by_step in by_file if step in by_step)

    def event(self, step: StepEvent, val_loss: float, train_mean: float) -> EvalEvent:
        """The EvalEvent of the evaluation at ``step`` (the last one written for it, when a resume repeated it)."""
        number = step.step
        scores = HeadScores.from_json(self.heads[number][-1]) if number in self.heads else None
        sample = self.samples[number][-1]["sample"] if number in self.samples else ""  # None: a Stop cut it short
        return EvalEvent(number, val_loss, perplexity_of(val_loss), train_mean, sample, step.tokens_seen,
                         step.elapsed_s, scores, tuple(self.probes.get(number, ())))


def read_run(folder: str | Path, up_to_step: int | None = None) -> RunHistory:
    """The run in ``folder`` as its events, up to ``up_to_step`` (all of it when None: a resumed run
    continues from its checkpoint's step, so the panel draws only what the resumed run keeps)."""
    folder = Path(folder)
    # A run that has begun, maybe minutes before its first step (learning a vocabulary, loading a base
    # model): a trainer here holds the folder's lock, then writes run.json and metrics.csv's header.
    starting = (folder / RUN_FILE).is_file() or training_in(folder)
    if (folder / METRICS_FILE).is_file():
        rows = _metrics_rows(folder / METRICS_FILE, starting)
    elif starting:
        rows = []
    else:
        raise InvalidInputError(
            QT_TRANSLATE_NOOP("Errors", "{folder} is not a training run: it has no {file}.").fill(
                folder=folder, file=METRICS_FILE
            )
        )
    last = math.inf if up_to_step is None else up_to_step
    tokens = token_counts(folder)
    logs = EvaluationLogs(folder)
    steps, evaluations, since_eval, partial = [], [], [], {}
    try:
        for row in rows:
            event = step_event(row, tokens)
            if event.step > last:
                break
            steps.append(event)
            since_eval.append(event.train_loss)
            if row["val_loss"].strip():
                evaluations.append(logs.event(event, float(row["val_loss"]), float(np.mean(since_eval))))
                since_eval = []
                if len(held := logs.holding(event.step)) < len(EvaluationLogs.FILES):
                    partial[event.step] = held
    except (ValueError, TypeError) as error:
        raise _not_a_number(folder / METRICS_FILE, error) from error
    found = stopped_run(folder)
    kept = tuple(step for step in snapshot_steps(folder) if step <= last)
    settings = found[0] if found else run_settings(folder)
    return RunHistory(folder, settings, tuple(steps), tuple(evaluations), kept, partial)
