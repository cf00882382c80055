"""Ctrl+C on a long command-line job (training, generate, inspect, genlab): the first asks the job to stop,
and it checkpoints or writes what it has and returns as stopped; a second aborts at once. A training run
whose progress has no reader any more (``2>&1 | head``) stops the same way."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from workbench.core.jobs import CancelToken

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl+C, as a shell reports one killed by SIGINT


@contextmanager
def first_ctrl_c_stops(control: CancelToken, announce: str | None, second_aborts: bool = True) -> Iterator[None]:
    """While inside, Ctrl+C cancels ``control`` (saying ``announce`` on stderr, once) instead of raising
    KeyboardInterrupt; with ``second_aborts`` a second Ctrl+C raises it as usual."""

    def stop(signum, frame) -> None:
        if announce and not control.cancelled:
            try:
                print(f"\n{announce}", file=sys.stderr)
            except BrokenPipeError:  # Ctrl+C ended the reader too (`| tee`): raised here, it would end the run
                silence_stderr()
        control.cancel()
        if second_aborts:
            signal.signal(signal.SIGINT, previous)

    def abort_where_it_cannot_be_raised(unraisable) -> None:
        # The second Ctrl+C's KeyboardInterrupt, raised inside a weakref callback or a __del__, would be swallowed
        # with a printed traceback and the run would go on; raised again from here, it is lost the same way.
        if issubclass(unraisable.exc_type, KeyboardInterrupt):
            print("interrupted", file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(INTERRUPTED)
        else:
            previous_hook(unraisable)

    previous = signal.signal(signal.SIGINT, stop)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = abort_where_it_cannot_be_raised
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_hook


class StopsWhenReaderGoes:
    """A run's progress printer (to stderr) that stops the run as a first Ctrl+C does, its checkpoint written,
    when the reader of its progress goes away (``2>&1 | head``): a closed pipe must not lose the run, as the
    BrokenPipeError out of the printer did. From then on stderr writes to /dev/null, so the run's last lines
    cannot fail it either."""

    def __init__(self, printer: Callable[[object], None], control: CancelToken) -> None:
        self.printer = printer
        self.control = control
        self.reader_gone = False

    def __call__(self, event: object) -> None:
        if not self.reader_gone:
            with self._reader_may_go():
                self.printer(event)

    def close(self, keep: bool = True) -> None:
        close = getattr(self.printer, "close", None)
        if close is not None and not self.reader_gone:
            with self._reader_may_go():
                close(keep=keep)

    @contextmanager
    def _reader_may_go(self) -> Iterator[None]:
        try:
            yield
        except BrokenPipeError:
            self.reader_gone = True
            self.control.cancel()
            silence_stderr()


def silence_stderr() -> None:
    """What is still written to stderr goes to /dev/null: its reader went away."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stderr.fileno())
    os.close(devnull)
