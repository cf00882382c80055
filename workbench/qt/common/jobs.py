"""Run a core job (a generator taking a CancelToken) on its own QThread.

The job's events, result and failure arrive as signals on the GUI thread; the job
itself never touches a widget.
"""

from __future__ import annotations

import logging
from typing import Callable, Generator

from PySide6.QtCore import QObject, QThread, Signal

from workbench.core.errors import CancelledError, WorkbenchError
from workbench.core.jobs import CancelToken

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Generator]


class _JobThread(QThread):
    def __init__(self, runner: "JobRunner") -> None:
        super().__init__()
        self._runner = runner

    def run(self) -> None:
        runner = self._runner
        try:
            job = runner.job_factory(runner.cancel_token)
            while True:
                try:
                    event = next(job)
                except StopIteration as stop:
                    runner.finished.emit(stop.value)
                    return
                runner.event.emit(event)
        except CancelledError:
            runner.cancelled.emit()
        except WorkbenchError as error:
            runner.failed.emit(str(error))
        except Exception as error:  # a bug or a library failure: one line for the person, the trace for the log
            log.exception("job failed")
            runner.failed.emit(f"Unexpected error: {type(error).__name__}: {error}")


class JobRunner(QObject):
    """One run of one job. Connect the signals, then ``start()``; ``cancel()`` asks it to stop."""

    event = Signal(object)  # each yielded event, in order
    finished = Signal(object)  # the job's return value
    cancelled = Signal()  # the job stopped by raising CancelledError
    failed = Signal(str)  # a one-line message for the person
    thread_ended = Signal()  # the thread has really stopped: safe to drop the last reference

    def __init__(
        self, job_factory: JobFactory, parent: QObject | None = None, control: CancelToken | None = None
    ) -> None:
        """``control``: the token handed to the job, e.g. a ``RunControl`` that can also pause it."""
        super().__init__(parent)
        self.job_factory = job_factory
        self.cancel_token = control if control is not None else CancelToken()
        self._thread = _JobThread(self)
        self._thread.finished.connect(self.thread_ended)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread ends (use on shutdown only). True when it ended."""
        if timeout_ms < 0:
            return self._thread.wait()
        return self._thread.wait(timeout_ms)
