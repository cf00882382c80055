"""One measurement on a fresh thread, as the window runs its jobs.

On a loaded 2-core machine, torch's OpenMP regions entered from the main thread can be ten times
slower than from another thread (each tiny softmax waits for a second core), which would compare
threads, not the code measured."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


def on_worker_thread(function: Callable[..., Result], *args) -> tuple[float, Result]:
    """``function(*args)`` run on a fresh thread: (the seconds it took, what it returned)."""
    outcome: list[tuple[float, Result]] = []

    def timed() -> None:
        started = time.perf_counter()
        result = function(*args)
        outcome.append((time.perf_counter() - started, result))

    worker = threading.Thread(target=timed)
    worker.start()
    worker.join()
    if not outcome:
        raise RuntimeError(f"{getattr(function, '__name__', function)} failed on its thread (see above)")
    return outcome[0]
