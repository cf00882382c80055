"""Following a run that another process writes (a ``torchrun`` job, a run on another machine seen
through a mounted or synced folder): what its files gained since the last look.

``poll`` is cheap enough to call a few times a second: it reads only the bytes ``metrics.csv`` gained,
and a whole step log only when an evaluation arrives. Only complete lines count, so a row caught
half-written is read at the next poll. The trainer writes an evaluation's samples, probes and head
scores before its metrics row, so an evaluation arrives whole, except through a folder synced file by
file. When ``metrics.csv`` shrinks, or starts again from an earlier step, or the bytes before the part
already read change (the run was resumed from its checkpoint, or a synced copy replaced the file), or an
evaluation's logs arrive after its row, the update says ``read_again``: read the run with ``read_run``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.run_folder import METRICS_COLUMNS, METRICS_FILE, RUN_FILE
from workbench.core.training.run_history import (
    EvaluationLogs,
    RunHistory,
    run_settings,
    step_event,
    token_counts,
)
from workbench.core.training.settings import TrainSettings
from workbench.core.training.snapshots import snapshot_steps


@dataclass(frozen=True)
class RunUpdate:
    steps: tuple[StepEvent, ...] = ()
    evaluations: tuple[EvalEvent, ...] = ()
    snapshots: tuple[int, ...] | None = None  # the kept steps, when they changed
    settings: TrainSettings | None = None  # the run's settings, once when they first appear
    read_again: bool = False  # rewritten from an earlier step, or an evaluation's logs came late: read it all

    def __bool__(self) -> bool:
        return bool(self.steps or self.evaluations or self.snapshots is not None or self.settings or self.read_again)


KNOWN_TAIL_BYTES = 64  # the bytes just before the part read: the same file still, when they are unchanged


class RunFollower:
    """What a run's folder gains. Created before the run is read (``read_run``), then told what was shown
    (``shown``), so no row written in between is missed or shown twice. Once it says ``read_again``, it
    says so at every look: read the run again with a new follower."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._metrics = self.folder / METRICS_FILE
        self._offset = self._end_of_complete_rows()  # read_run reads these (and maybe more: skipped by step)
        self._known_tail = self._bytes_before(self._offset)
        self._last_step = 0  # the last step shown
        self._last_read: int | None = None  # the last step this follower read from the file
        self._since_eval: list[float] = []
        self._snapshots = tuple(snapshot_steps(self.folder))
        self._settings_known = run_settings(self.folder) is not None
        self._layout_written = self._run_file_written()
        self._token_counts = token_counts(self.folder)  # unknown until the run says its settings
        self._incomplete: dict[int, frozenset[str]] = {}  # evaluations shown: the logs that held them then
        self._log_sizes = self._evaluation_log_sizes()

    def shown(self, history: RunHistory) -> None:
        """``history`` (from ``read_run``) is what is drawn: the next rows come after its last step, the next
        evaluation's training mean includes the losses after its last evaluation (as the trainer's does),
        and its evaluations read without some logs are read again when those logs arrive."""
        self._last_step = history.steps[-1].step if history.steps else 0
        last_evaluation = history.evaluations[-1].step if history.evaluations else 0
        self._since_eval = [event.train_loss for event in history.steps if event.step > last_evaluation]
        self._incomplete = dict(history.partial_evaluations)

    def _bytes_before(self, offset: int) -> bytes:
        try:
            with open(self._metrics, "rb") as handle:
                handle.seek(max(0, offset - KNOWN_TAIL_BYTES))
                return handle.read(min(offset, KNOWN_TAIL_BYTES))
        except OSError:
            return b""

    def _end_of_complete_rows(self) -> int:
        """Where the last complete row ends: a row caught half-written is read whole at a later poll."""
        size = self._size()
        try:
            with open(self._metrics, "rb") as handle:
                handle.seek(max(0, size - 4096))
                tail = handle.read(size - handle.tell())
        except OSError:
            return 0
        return size - len(tail) + tail.rfind(b"\n") + 1

    def _run_file_written(self) -> int | None:
        try:
            return (self.folder / RUN_FILE).stat().st_mtime_ns
        except OSError:
            return None

    def _evaluation_log_sizes(self) -> tuple[int, ...]:
        sizes = []
        for name in EvaluationLogs.FILES:
            try:
                sizes.append((self.folder / name).stat().st_size)
            except OSError:
                sizes.append(-1)
        return tuple(sizes)

    def _logs_came_late(self) -> bool:
        """Whether a log now holds an evaluation shown without it (a synced folder brought the row first)."""
        if not self._incomplete:
            return False
        sizes = self._evaluation_log_sizes()
        if sizes == self._log_sizes:
            return False
        self._log_sizes = sizes
        return self._completes_an_evaluation(EvaluationLogs(self.folder))

    def _completes_an_evaluation(self, logs: EvaluationLogs) -> bool:
        """Whether ``logs`` hold more of an evaluation shown than it was shown with."""
        return any(logs.holding(step) - held for step, held in self._incomplete.items())

    def _size(self) -> int:
        try:
            return self._metrics.stat().st_size
        except OSError:
            return 0

    def poll(self) -> RunUpdate:
        size = self._size()
        if size < self._offset or self._bytes_before(self._offset) != self._known_tail:  # rewritten
            return RunUpdate(read_again=True)
        if self._logs_came_late():
            return RunUpdate(read_again=True)
        steps, evaluations = [], []
        if size > self._offset:
            steps, evaluations = self._events(self._new_rows(size))
            if steps is None:
                return RunUpdate(read_again=True)
        snapshots = tuple(snapshot_steps(self.folder))
        changed = snapshots != self._snapshots
        self._snapshots = snapshots
        settings = None
        if not self._settings_known:
            settings = run_settings(self.folder)
            self._settings_known = settings is not None
        return RunUpdate(tuple(steps), tuple(evaluations), snapshots if changed else None, settings)

    def _new_rows(self, size: int) -> list[dict[str, str]]:
        try:
            with open(self._metrics, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read(size - self._offset)
        except OSError:  # moved or removed meanwhile: nothing new
            return []
        complete = data[: data.rfind(b"\n") + 1]  # a row caught half-written waits for the next poll
        starts_file = self._offset == 0
        self._offset += len(complete)
        self._known_tail = (self._known_tail + complete)[-KNOWN_TAIL_BYTES:]
        text = complete.decode("utf-8", errors="replace")
        if starts_file:
            return list(csv.DictReader(io.StringIO(text)))
        return list(csv.DictReader(io.StringIO(text), fieldnames=METRICS_COLUMNS))

    def _events(self, rows: list[dict[str, str]]) -> tuple[list[StepEvent] | None, list[EvalEvent]]:
        """The rows' events (None when the run must be read again: the rows go back to an earlier step, the run
        restarted; or an earlier evaluation's logs arrived with this one's)."""
        written = self._run_file_written()
        if written != self._layout_written or not self._token_counts.sizes:  # a resume may change the batch
            self._layout_written, self._token_counts = written, token_counts(self.folder)
        tokens = self._token_counts
        steps, evaluations = [], []
        for row in rows:
            try:
                event = step_event(row, tokens)
                val_loss = float(row["val_loss"]) if row["val_loss"].strip() else None
            except (ValueError, TypeError, AttributeError):  # not a row the trainer writes: nothing to draw
                continue
            if self._last_read is not None and event.step <= self._last_read:
                return None, []
            self._last_read = event.step
            if event.step <= self._last_step:  # already drawn from read_run
                continue
            self._last_step = event.step
            steps.append(event)
            self._since_eval.append(event.train_loss)
            if val_loss is not None:
                train_mean = float(np.mean(self._since_eval))
                self._log_sizes = self._evaluation_log_sizes()  # taken before the read: a later write is news
                logs = EvaluationLogs(self.folder)
                if self._completes_an_evaluation(logs):  # an earlier one's logs came since the last look
                    return None, []
                evaluations.append(logs.event(event, val_loss, train_mean))
                held = logs.holding(event.step)
                if len(held) < len(EvaluationLogs.FILES):  # a run without probes or heads never fills these in
                    self._incomplete[event.step] = held
                self._since_eval = []
        return steps, evaluations

