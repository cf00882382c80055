"""How long a task with a known done fraction has left, for progress bars that say "about 20 s left"."""

from __future__ import annotations

import time
from typing import Callable

# Below this much elapsed time (or done fraction) the pace is mostly noise: no estimate yet.
MIN_ELAPSED_S = 1.0
MIN_FRACTION = 0.02


class TimeLeft:
    """Seconds left from the fraction done, assuming the rest goes at the average pace so far.
    Started when the task starts."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()

    def seconds_left(self, fraction: float) -> float | None:
        """None while too little is done to tell."""
        elapsed = self._clock() - self._started
        if fraction < MIN_FRACTION or elapsed < MIN_ELAPSED_S:
            return None
        return max(0.0, elapsed * (1.0 - fraction) / fraction)


class Stages:
    """One fraction across a task's stages, each weighted by its measured share of the task's time,
    so a single percentage moves through all of them: it reaches a stage's start when the stage
    begins and moves on within it as the stage reports its own fraction (tensors read, files written).
    It never goes back, and it comes with the time left."""

    def __init__(self, weights: dict[str, float], clock: Callable[[], float] = time.monotonic) -> None:
        total = sum(weights.values())
        self._start: dict[str, float] = {}
        self._share: dict[str, float] = {}
        done = 0.0
        for stage, weight in weights.items():
            self._start[stage], self._share[stage] = done / total, weight / total
            done += weight
        self._fraction = 0.0
        self._time_left = TimeLeft(clock)

    def at(self, stage: str, within: float = 0.0) -> tuple[float, float | None]:
        """The task's fraction done and seconds left, ``within`` (0..1) of the way through ``stage``."""
        reached = self._start[stage] + self._share[stage] * min(max(within, 0.0), 1.0)
        self._fraction = max(self._fraction, min(reached, 1.0))
        return self._fraction, self._time_left.seconds_left(self._fraction)
