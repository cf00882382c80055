"""Ctrl+C on a long command-line job (training, generate, inspect, genlab): the first asks the job to stop,
and it checkpoints or writes what it has and returns as stopped; a second aborts at once."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from typing import Iterator

from workbench.core.jobs import CancelToken

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl+C, as a shell reports one killed by SIGINT


@contextmanager
def first_ctrl_c_stops(control: CancelToken, announce: str | None, second_aborts: bool = True) -> Iterator[None]:
    """While inside, Ctrl+C cancels ``control`` (saying ``announce`` on stderr, once) instead of raising
    KeyboardInterrupt; with ``second_aborts`` a second Ctrl+C raises it as usual."""

    def stop(signum, frame) -> None:
        if announce and not control.cancelled:
            print(f"\n{announce}", file=sys.stderr)
        control.cancel()
        if second_aborts:
            signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
