"""A training run's steps gathered into a few batches a second, for a window.

A window's GUI thread is woken by every event that crosses threads; at dozens of steps a
second that alone costs the trainer speed (its CPU threads wait on the GUI thread's
core). ``batch_steps`` runs on the training thread and passes the run's events through,
except that consecutive ``StepEvent``s travel together in a ``StepBatch`` about every
``interval_s``. A batch is never held past the point where the run is about to wait: before
any other event, when paused or stopping, and when the next step would land after the interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Generator

from workbench.core.jobs import RunControl
from workbench.core.training.events import StepEvent, TrainEvent, TrainResult

BATCH_INTERVAL_S = 0.5  # as often as the curves redraw (curves.REDRAW_INTERVAL_MS): fresher points could not be seen


@dataclass(frozen=True)
class StepBatch:
    steps: tuple[StepEvent, ...]


def batch_steps(
    run: Generator[TrainEvent, None, TrainResult], control: RunControl, interval_s: float = BATCH_INTERVAL_S
) -> Generator[TrainEvent | StepBatch, None, TrainResult]:
    """``run``'s events with its steps in ``StepBatch``es; returns ``run``'s result."""
    pending: list[StepEvent] = []
    sent_at = arrived_at = time.monotonic()
    while True:
        try:
            event = next(run)
        except StopIteration as stop:
            if pending:
                yield StepBatch(tuple(pending))
            return stop.value
        now = time.monotonic()
        if isinstance(event, StepEvent):
            pending.append(event)
            step_s, arrived_at = now - arrived_at, now
            if now + step_s - sent_at >= interval_s or control.paused or control.cancelled:
                yield StepBatch(tuple(pending))
                pending, sent_at = [], now
            continue
        if pending:
            yield StepBatch(tuple(pending))
            pending, sent_at = [], now
        yield event
