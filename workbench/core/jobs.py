"""Long work is a generator that takes a ``CancelToken``, yields small events and
returns its result. Threads are added at the edge (the Qt workers, the CLI)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Generator, TypeVar

from workbench.core.errors import CancelledError

Event = TypeVar("Event")
Result = TypeVar("Result")


@dataclass(frozen=True)
class StatusEvent:
    """What a job is doing now, for a status line: "Reading corpus", "Training BPE tokenizer"..."""

    message: str


class CancelToken:
    """Set from any thread; long work checks it between small steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError("Cancelled.")


def drain(
    job: Generator[Event, None, Result], on_event: Callable[[Event], None] | None = None
) -> Result:
    """Run a job generator to the end on this thread and return its result."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)


class RunControl(CancelToken):
    """A cancel token that can also pause: training loops call ``wait_if_paused``
    between steps, and ``cancel`` (Stop) also ends a pause."""

    def __init__(self) -> None:
        super().__init__()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def cancel(self) -> None:
        super().cancel()
        self._running.set()

    def wait_if_paused(self, poll_s: float = 0.1) -> None:
        while not self._running.wait(poll_s):
            pass
