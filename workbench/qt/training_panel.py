"""The training studio: choose a corpus and a model, press Start, watch the loss fall.

The run is ``workbench.core.training.trainer.train`` on a ``JobRunner`` thread with a
``RunControl`` (pause, resume, stop); its events come back on the GUI thread and feed the
curves, the progress line and the sample list. Checkpoints and finished models are
registered in the catalog by the trainer; the panel tells the rest of the window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.core.jobs import RunControl
from workbench.core.loading import LoadedModel
from workbench.core.training.events import CheckpointEvent, CorpusStats, EvalEvent, StatusEvent, StepEvent, TrainResult
from workbench.core.training.settings import TrainSettings
from workbench.core.training.trainer import train
from workbench.qt.app_state import AppState
from workbench.qt.training_curves import TrainingCurves
from workbench.qt.training_form import TrainingForm
from workbench.qt.workers import JobRunner

_PROBLEM_STYLE = "color: #b00020;"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        text = QCoreApplication.translate("TrainingPanel", "{s} s")
    elif seconds < 3600:
        text = QCoreApplication.translate("TrainingPanel", "{m} min {s:02d} s")
    else:
        text = QCoreApplication.translate("TrainingPanel", "{h} h {m:02d} min")
    return text.format(h=seconds // 3600, m=seconds % 3600 // 60 if seconds >= 3600 else seconds // 60, s=seconds % 60)


class TrainingPanel(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._runner: JobRunner | None = None
        self._control: RunControl | None = None
        self._settings: TrainSettings | None = None  # of the current or last run
        self._resumable: TrainSettings | None = None  # a stopped run that Continue picks up
        self._stop_requested = False
        self._first_step: StepEvent | None = None  # of this session of the run: the base of speed and ETA
        self.last_result: TrainResult | None = None

        self.form = TrainingForm()
        self.form.changed.connect(self._refresh_controls)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.form.sizeHint().width() + 24)

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(_PROBLEM_STYLE)
        self.start_button = QPushButton(self.tr("Start"))
        self.start_button.setToolTip(self.tr("Train a new model with these settings."))
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.setToolTip(self.tr("Pause the run between two steps; Resume carries on exactly there."))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the run after saving a checkpoint; Continue can pick it up later."))
        self.stop_button.clicked.connect(self.stop)
        self.continue_button = QPushButton(self.tr("Continue"))
        self.continue_button.setToolTip(self.tr("Carry on the stopped run from its checkpoint, on the same curve."))
        self.continue_button.clicked.connect(self.continue_run)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button, self.continue_button):
            buttons.addWidget(button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m")
        self.status_label = QLabel(self.tr("Choose a corpus, or try the Tang poems."))
        self.status_label.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.problems_label)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.progress)
        left_layout.addWidget(self.status_label)

        self.curves = TrainingCurves()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.curves)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        state.model_changed.connect(self._model_changed)
        self._model_changed(state.loaded_model)

    # ----- commands -------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._runner is not None and self._runner.is_running()

    def start(self) -> None:
        if self.is_running() or self.form.problems():
            return
        settings = self.form.settings()
        previous = Path(self._settings.out_dir).name if self._settings else self.tr("previous run")
        self.curves.start_run(previous)
        self._launch(settings, resume=False)

    def continue_run(self) -> None:
        if self.is_running() or self._resumable is None:
            return
        self._launch(self._resumable, resume=True)

    def toggle_pause(self) -> None:
        if not self.is_running() or self._control is None:
            return
        if self._control.paused:
            self._control.resume()
            self.status_label.setText(self.tr("Running."))
        else:
            self._control.pause()
            self.status_label.setText(self.tr("Paused after the current step."))
        self._refresh_controls()

    def stop(self) -> None:
        if not self.is_running() or self._control is None:
            return
        self._stop_requested = True
        self._control.cancel()
        self.status_label.setText(self.tr("Stopping: saving a checkpoint…"))
        self._refresh_controls()

    def shutdown(self) -> None:
        """Stop a run with a checkpoint and wait for it (the window is closing)."""
        if self.is_running():
            self._stop_requested = True
            self._control.cancel()
            self._runner.wait()

    # ----- running --------------------------------------------------------------------

    def _launch(self, settings: TrainSettings, resume: bool) -> None:
        self._settings = settings
        self._resumable = None
        self._stop_requested = False
        self._first_step = None
        self.last_result = None
        self._control = RunControl()
        self._runner = JobRunner(lambda control: train(settings, control, resume=resume), parent=self, control=self._control)
        self._runner.event.connect(self._on_event)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._runner.cancelled.connect(self._on_cancelled)
        self.progress.setRange(0, settings.max_iters)
        self._set_status(self.tr("Starting…"))
        self._runner.start()
        self._refresh_controls()

    def _on_event(self, event) -> None:
        if isinstance(event, StepEvent):
            self.curves.add_step(event)
            self._show_progress(event)
        elif isinstance(event, EvalEvent):
            self.curves.add_eval(event)
        elif isinstance(event, CheckpointEvent):
            self._set_status(self.tr("Checkpoint saved at step {step}.").format(step=event.step))
            self.state.catalog_changed.emit()
        elif isinstance(event, CorpusStats):
            self.form.show_corpus_stats(
                event.characters, event.tokens, event.vocabulary, event.train_tokens, event.val_tokens
            )
        elif isinstance(event, StatusEvent):
            self._set_status(event.message + "…")

    def _show_progress(self, event: StepEvent) -> None:
        self.progress.setValue(event.step)
        if self._first_step is None:
            self._first_step = event
            return
        first = self._first_step
        seconds = event.elapsed_s - first.elapsed_s
        if seconds <= 0:
            return
        tokens_per_s = (event.tokens_seen - first.tokens_seen) / seconds
        steps_per_s = (event.step - first.step) / seconds
        left = (self._settings.max_iters - event.step) / steps_per_s
        paused = self._control is not None and self._control.paused
        self.status_label.setText(
            self.tr("Step {step} of {total} · {speed:,.0f} tokens/s · about {left} left{paused}").format(
                step=event.step,
                total=self._settings.max_iters,
                speed=tokens_per_s,
                left=_duration(left),
                paused=self.tr(" · paused") if paused else "",
            )
        )
        self.status_label.setStyleSheet("")

    def _thread_ended(self) -> None:
        # The result signal leaves the thread just before it ends: let it end before the next run.
        if self._runner is not None:
            self._runner.wait()

    def _on_finished(self, result: TrainResult) -> None:
        self._thread_ended()
        self.last_result = result
        self.state.catalog_changed.emit()
        diverged = result.stopped and not self._stop_requested
        self._set_status(result.message, problem=diverged)
        if result.stopped and not diverged:
            self._resumable = self._settings
        self.form.new_output_folder()  # the next Start writes a new run
        self._refresh_controls()

    def _on_failed(self, message: str) -> None:
        self._thread_ended()
        self._set_status(message, problem=True)
        self._refresh_controls()

    def _on_cancelled(self) -> None:
        self._thread_ended()
        self._set_status(self.tr("Stopped."))
        self._refresh_controls()

    # ----- view -----------------------------------------------------------------------

    def _set_status(self, text: str, problem: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(_PROBLEM_STYLE if problem else "")

    def _model_changed(self, loaded: LoadedModel | None) -> None:
        if loaded is None or not loaded.can_generate:
            self.form.set_base_model(None)
        else:
            self.form.set_base_model(loaded.entry.id, loaded.entry.name)

    def _refresh_controls(self) -> None:
        running = self.is_running()
        problems = [] if running else self.form.problems()
        self.problems_label.setText("\n".join(problems))
        self.problems_label.setVisible(bool(problems))
        self.start_button.setEnabled(not running and not problems)
        self.form.set_editable(not running)
        paused = running and self._control is not None and self._control.paused
        stopping = running and self._control is not None and self._control.cancelled
        self.pause_button.setEnabled(running and not stopping)
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.stop_button.setEnabled(running and not stopping)
        self.continue_button.setEnabled(not running and self._resumable is not None)
