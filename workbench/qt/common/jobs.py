"""The one job lifecycle of the Qt layer: core jobs (generators taking a CancelToken) on QThreads.

A ``Job`` owns at most one *current* run of one kind of work (a model load, a generation,
a capture, a training run). Starting a run abandons the one before it: the latest request
wins, the abandoned run is cancelled, its signals are ignored and its result is handed to
``discard``. The ``JobRegistry`` that a window and its panels share holds every run whose
thread is still alive, abandoned ones included, so closing can cancel and wait for all of
them; once closing has begun no job starts. Jobs never touch a widget: their events,
result and failure arrive as signals on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Generator

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from workbench.core.errors import CancelledError, WorkbenchError, plain_error
from workbench.core.jobs import CancelToken
from workbench.qt.common.language import error_text

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Generator]

SLOW_WAIT_S = 0.5  # a wait longer than this is announced, so closing never looks frozen
_WAIT_STEP_MS = 50


class _JobThread(QThread):
    def __init__(self, runner: JobRunner) -> None:
        super().__init__(runner)
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
        except WorkbenchError as error:  # translated here, while the message is still a marked Text
            runner.failed.emit(error_text(error))
        except Exception as error:  # a bug or a library failure: one line for the person, the trace for the log
            plain = plain_error(error)  # a full disk or too little memory is not a bug
            if plain is not None:
                runner.failed.emit(error_text(plain))
                return
            log.exception("job failed")
            runner.failed.emit(QCoreApplication.translate("Jobs", "Unexpected error: {0}: {1}").format(
                type(error).__name__, error))


class JobRunner(QObject):
    """One run of one job on its own thread; ``Job`` creates, connects and keeps them."""

    event = Signal(object)  # each yielded event, in order
    finished = Signal(object)  # the job's return value
    cancelled = Signal()  # the job stopped by raising CancelledError
    failed = Signal(str)  # a one-line message for the person
    thread_ended = Signal()  # the thread has really stopped: safe to drop the last reference

    def __init__(self, job_factory: JobFactory, control: CancelToken | None, registry: JobRegistry) -> None:
        """``control``: the token handed to the job, e.g. a ``RunControl`` that can also pause it."""
        # Owned by the registry, not by the panel that started it: a run outlives a closed panel.
        super().__init__(registry)
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

    def wait(self, timeout_ms: int) -> bool:
        """Block until the thread ends or ``timeout_ms`` passes. True when it ended."""
        return self._thread.wait(timeout_ms)


class JobRegistry(QObject):
    """Every run whose thread is alive, for one window and its panels (``AppState.jobs``)."""

    # A wait for runs to end passed SLOW_WAIT_S: tell the person, and let it paint. Carries what the
    # run waited on does as it stops (its job's ``stopping_message``, "" when it has none).
    slow_wait = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: dict[JobRunner, Job] = {}  # each run whose thread is alive, and the job that started it
        self.closing = False

    def live(self, job: Job | None = None) -> list[JobRunner]:
        """The runs still on a thread: all of them, or ``job``'s."""
        return [runner for runner, owner in self._live.items() if job is None or owner is job]

    def add(self, runner: JobRunner, job: Job) -> None:
        self._live[runner] = job
        runner.thread_ended.connect(self._forget)

    def begin_closing(self) -> None:
        """From now on no job starts (a job started while closing would outlive the window)."""
        self.closing = True

    def cancel_and_wait(self, runners: list[JobRunner]) -> None:
        """Cancel ``runners``, block until their threads end, then deliver their last signals."""
        for runner in runners:
            runner.cancel()
        started = time.monotonic()
        announced: str | None = None
        for runner in runners:
            # A runner that left ``_live`` has ended, and may already be deleted: the slow-wait
            # notice processes events, which can deliver its thread_ended.
            while runner in self._live and not runner.wait(_WAIT_STEP_MS):
                message = self._live[runner].stopping_message if runner in self._live else ""
                if announced != message and time.monotonic() - started > SLOW_WAIT_S:
                    announced = message
                    self.slow_wait.emit(message)
        # Their results (a partial generation, a checkpointed training run) were queued to this
        # thread: deliver them now, while the window can still record them.
        QCoreApplication.sendPostedEvents()

    def shutdown(self) -> None:
        """Refuse new jobs, then cancel and wait for every live run (the window is closing)."""
        self.begin_closing()
        self.cancel_and_wait(self.live())

    @Slot()
    def _forget(self) -> None:
        runner = self.sender()
        if self._live.pop(runner, None) is not None:
            runner.deleteLater()  # not at once: this slot runs inside the runner's own signal


class Job(QObject):
    """At most one current run of one kind of work: the latest request wins.

    The signals tell about the current run only; ``ended`` follows whichever of
    ``finished``, ``failed`` or ``cancelled`` ended it, once ``is_running`` is False.
    """

    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()

    def __init__(
        self,
        registry: JobRegistry,
        discard: Callable[[object], None] | None = None,
        parent: QObject | None = None,
        stopping_message: str = "",
        one_at_a_time: bool = False,
    ) -> None:
        """``discard`` frees the result of an abandoned run that finished anyway (a loaded model).
        ``stopping_message`` says what a slow stop waits for ("Saving checkpoint…"), for closing to show.
        ``one_at_a_time``: a run starts only once the abandoned ones have ended, and of the requests made meanwhile
        only the latest; for work that cannot stop part way (a model loading from disk), which a slider dragged
        across its steps would otherwise start a dozen times at once."""
        super().__init__(parent)
        self.stopping_message = stopping_message
        self._registry = registry
        self._discard = discard
        self._current: JobRunner | None = None
        self._shut_down = False
        self._one_at_a_time = one_at_a_time
        self._waiting: tuple[JobFactory, CancelToken | None] | None = None  # the latest request, held back

    @property
    def is_running(self) -> bool:
        return self._current is not None or self._waiting is not None

    @property
    def control(self) -> CancelToken | None:
        """The token of the current run (a ``RunControl`` when ``start`` was given one)."""
        return self._current.cancel_token if self._current is not None else None

    def start(self, job_factory: JobFactory, control: CancelToken | None = None) -> bool:
        """Run ``job_factory`` on a new thread, abandoning the current run.
        False, and nothing runs, once this job or its window is shutting down."""
        if self._shut_down or self._registry.closing:
            return False
        self.abandon()
        if self._one_at_a_time and self._registry.live(self):
            self._waiting = (job_factory, control)  # started as the last abandoned run's thread ends
            return True
        runner = JobRunner(job_factory, control, self._registry)
        runner.event.connect(self._on_event)
        runner.finished.connect(self._on_finished)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        self._registry.add(runner, self)
        if self._one_at_a_time:
            runner.thread_ended.connect(self._start_waiting)  # after the registry has forgotten the runner
        self._current = runner
        runner.start()
        return True

    @Slot()
    def _start_waiting(self) -> None:
        if self._waiting is not None and not self._registry.live(self):
            (job_factory, control), self._waiting = self._waiting, None
            self.start(job_factory, control)

    def cancel(self) -> None:
        """Ask the current run to stop; how it ended still arrives (a partial result, or ``cancelled``)."""
        if self._current is not None:
            self._current.cancel()

    def abandon(self) -> None:
        """Cancel the current run and forget it at once: nothing more is heard from it."""
        self._waiting = None
        runner, self._current = self._current, None
        if runner is not None:
            runner.cancel()

    def shutdown(self) -> None:
        """Refuse new runs, cancel this job's runs and wait for their threads; the current
        run's end is delivered before this returns."""
        self._shut_down = True
        self._waiting = None
        self._registry.cancel_and_wait(self._registry.live(self))

    def _is_current(self) -> bool:
        return self._current is not None and self.sender() is self._current

    @Slot(object)
    def _on_event(self, event) -> None:
        if self._is_current():
            self.event.emit(event)

    @Slot(object)
    def _on_finished(self, result) -> None:
        if self._is_current():
            self._current = None
            self.finished.emit(result)
            self.ended.emit()
        elif self._discard is not None:
            self._discard(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._is_current():
            self._current = None
            self.failed.emit(message)
            self.ended.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        if self._is_current():
            self._current = None
            self.cancelled.emit()
            self.ended.emit()
