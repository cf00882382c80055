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
