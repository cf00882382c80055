"""Start, Pause/Resume and Stop for a panel that runs one long core job at a time.

``RunController`` owns the buttons, the status and problems labels, and the ``Job``
whose runs get a ``RunControl``; the panel lays the widgets out, starts runs with ``launch`` and
reacts to ``event``, ``finished``, ``ended`` and ``changed``. Start stays the panel's:
what a run needs (settings, curves) is the panel's business. ``RunControlsMixin`` wires a
panel to its controller and gives it the run commands and widget names panels share.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton

from workbench.core.jobs import RunControl
from workbench.qt.common.jobs import Job, JobFactory, JobRegistry
from workbench.qt.common.language import translated
from workbench.qt.common.theme import warning_color
from workbench.qt.common.tooltips import literal


def _problem_style(label: QLabel) -> str:
    return f"color: {warning_color(label.palette()).name()};"


class RunController(QObject):
    """One run at a time; the job's result must have ``stopped`` and ``message``."""

    event = Signal(object)  # each event the job yields
    finished = Signal(object)  # the job's result, once the status shows it
    ended = Signal()  # the run is over (finished, failed or cancelled)
    changed = Signal()  # running, paused or stopping changed: refresh what depends on it

    def __init__(self, jobs: JobRegistry, idle_message: str, stop_tip: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Both trainers save a checkpoint when stopped: closing the window waits for it.
        self._job = Job(jobs, parent=self, stopping_message=self.tr("Saving checkpoint…"))
        self._job.event.connect(self.event)
        self._job.finished.connect(self._on_finished)
        self._job.failed.connect(self._on_failed)
        self._job.cancelled.connect(self._on_cancelled)
        self.stop_requested = False  # a result that stopped without it stopped itself (diverged)

        self.start_button = QPushButton(self.tr("Start"))
        self.start_button.setToolTip(self.tr("Train a new model with these settings."))
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.setToolTip(self.tr("Pause the run between two steps; Resume carries on exactly there."))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(stop_tip)
        self.stop_button.clicked.connect(self.stop)
        self._idle_messages = (idle_message, self.tr("Ready: Start runs with these settings."))
        # Two lines kept for it: a status that wraps to a second line must not move the buttons above it
        # under the mouse (a click meant for Pause missed). Measured as the label lays two lines out, in its font.
        self.status_label = QLabel("A\nA")
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status_label.setMinimumHeight(self.status_label.sizeHint().height())
        self.status_label.setText(idle_message)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(_problem_style(self.problems_label))
        self.notes_label = QLabel()  # what the settings allow but rarely mean: the text's colour, not a problem's
        self.notes_label.setWordWrap(True)
        self.notes_label.setVisible(False)

    # ----- state ----------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._job.is_running

    @property
    def control(self) -> RunControl | None:
        return self._job.control

    @property
    def paused(self) -> bool:
        return self.is_running() and self.control is not None and self.control.paused

    @property
    def stopping(self) -> bool:
        return self.is_running() and self.control is not None and self.control.cancelled

    # ----- commands -------------------------------------------------------------------

    def launch(self, job_factory: JobFactory) -> None:
        if not self._job.start(job_factory, RunControl()):
            return  # the window is closing
        self.stop_requested = False
        self.set_status(self.tr("Starting…"))
        self.changed.emit()

    def toggle_pause(self) -> None:
        if not self.is_running() or self.control is None:
            return
        if self.control.paused:
            self.control.resume()
            self.set_status(self.tr("Running."))
        else:
            self.control.pause()
            self.set_status(self.tr("Paused after the current step."))
        self.changed.emit()

    def stop(self) -> None:
        if not self.is_running() or self.control is None:
            return
        self.stop_requested = True
        self.control.cancel()
        self.set_status(self.tr("Stopping: saving a checkpoint…"))
        self.changed.emit()

    def shutdown(self) -> None:
        """Stop a run with a checkpoint and wait for it (the window is closing)."""
        self.stop()
        self._job.shutdown()

    # ----- view -----------------------------------------------------------------------

    def set_status(self, text: str, problem: bool = False, tip: str = "") -> None:
        """``tip``: what the two lines kept for the status leave out (a run's whole folder path)."""
        self.status_label.setText(text)
        self.status_label.setToolTip(literal(tip))
        self.status_label.setStyleSheet(_problem_style(self.status_label) if problem else "")

    def refresh(self, problems: Callable[[], list[str]], notes: Callable[[], list[str]] = list) -> None:
        """Show the settings' ``problems`` and ``notes`` (asked only while idle; a note lets the run start) and
        enable the buttons."""
        running = self.is_running()
        problems = [] if running else problems()
        notes = [] if running else notes()
        if not running and self.status_label.text() in self._idle_messages:  # no run yet: what is missing, or ready
            self.set_status(self._idle_messages[not problems])
        for label, texts in ((self.problems_label, problems), (self.notes_label, notes)):
            label.setText("\n".join(translated(text) for text in texts))
            label.setVisible(bool(texts))
        self.start_button.setEnabled(not running and not problems)
        # While stopping, a pause would hold the run before it can save its checkpoint.
        self.pause_button.setEnabled(running and not self.stopping)
        self.pause_button.setText(self.tr("Resume") if self.paused else self.tr("Pause"))
        self.stop_button.setEnabled(running and not self.stopping)

    # ----- run end --------------------------------------------------------------------

    def _announce_end(self) -> None:
        self.ended.emit()
        self.changed.emit()

    def _on_finished(self, result) -> None:
        diverged = result.stopped and not self.stop_requested
        self.set_status(translated(result.message), problem=diverged)
        self.finished.emit(result)
        self._announce_end()

    def _on_failed(self, message: str) -> None:
        self.set_status(message, problem=True)
        self._announce_end()

    def _on_cancelled(self) -> None:
        self.set_status(self.tr("Stopped."))
        self._announce_end()


class RunControlsMixin:
    """For a QWidget panel that has ``state`` (an ``AppState``), defines ``start``, ``_on_event``,
    ``_on_finished`` and ``_refresh_controls``, and calls ``_init_run_controls`` in its constructor."""

    run: RunController

    def _init_run_controls(self, idle_message: str, stop_tip: str) -> RunController:
        self.run = RunController(self.state.jobs, idle_message, stop_tip, parent=self)
        self.run.event.connect(self._on_event)
        self.run.finished.connect(self._on_finished)
        self.run.changed.connect(self._refresh_controls)
        self.run.start_button.clicked.connect(self.start)
        return self.run

    # The controller's widgets under the names the panels have always had.
    start_button = property(lambda self: self.run.start_button)
    pause_button = property(lambda self: self.run.pause_button)
    stop_button = property(lambda self: self.run.stop_button)
    status_label = property(lambda self: self.run.status_label)
    problems_label = property(lambda self: self.run.problems_label)
    notes_label = property(lambda self: self.run.notes_label)

    def is_running(self) -> bool:
        return self.run.is_running()

    def toggle_pause(self) -> None:
        self.run.toggle_pause()

    def stop(self) -> None:
        self.run.stop()

    def shutdown(self) -> None:
        """Stop a run with a checkpoint and wait for it (the window is closing)."""
        self.run.shutdown()
