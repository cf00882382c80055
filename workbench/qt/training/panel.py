"""The training studio: choose a corpus and a model, press Start, watch the loss fall.

The run is ``workbench.core.training.trainer.train`` under a ``RunController`` (start,
pause, resume, stop on a ``Job`` thread); its events come back on the GUI thread and feed the
curves, the progress line and the sample list. Checkpoints and finished models are
registered in the catalog by the trainer; the panel tells the rest of the window. A run opened
from its folder is followed: what another process (a ``torchrun`` job, another machine through a
shared folder) writes there appears as it is written.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.core.attention import format_bytes
from workbench.core.errors import InvalidInputError
from workbench.core.loading import LoadedModel
from workbench.core.outputs import training_in
from workbench.core.training.events import (
    CheckpointEvent,
    CorpusStats,
    EvalEvent,
    RunWarning,
    SavingProgress,
    SnapshotEvent,
    StatusEvent,
    StepEvent,
    TrainResult,
)
from workbench.core.training.probes import ProbeRecord
from workbench.core.training.run_folder import METRICS_FILE, stopped_run
from workbench.core.training.run_follower import RunUpdate
from workbench.core.training.run_history import RunHistory, read_run
from workbench.core.training.settings import TrainSettings
from workbench.core.training.step_batches import StepBatch, batch_steps
from workbench.core.training.trainer import train
from workbench.qt.common.app_state import AppState
from workbench.qt.common.language import error_text, translated
from workbench.qt.common.run_controls import RunControlsMixin
from workbench.qt.common.settings_store import app_settings
from workbench.qt.common.wheel_guard import scroll_past
from workbench.qt.training.curves import TrainingCurves
from workbench.qt.training.drift import DriftView
from workbench.qt.training.following import RunFollowing
from workbench.qt.training.form import TrainingForm
from workbench.qt.training.scrubber import CheckpointScrubber


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        text = QCoreApplication.translate("TrainingPanel", "{s} s")
    elif seconds < 3600:
        text = QCoreApplication.translate("TrainingPanel", "{m} min {s:02d} s")
    else:
        text = QCoreApplication.translate("TrainingPanel", "{h} h {m:02d} min")
    return text.format(h=seconds // 3600, m=seconds % 3600 // 60 if seconds >= 3600 else seconds // 60, s=seconds % 60)


# A followed run whose files are caught half-rewritten is read again this often, this many times.
OPEN_AGAIN_INTERVAL_MS, OPEN_AGAIN_TRIES = 500, 20
WRITTEN_LATELY_S = 120  # a run folder written this recently is taken for one that trains now


def _trains_now(folder: Path) -> bool:
    """Whether another process trains in the run now: it holds the folder's lock (a process killed mid-run has
    let go); where nothing locks, a run written in the last two minutes is taken for one."""
    held = training_in(folder)
    return _written_lately(folder) if held is None else held


def _written_lately(folder: Path) -> bool:
    """Whether another process seems to be writing the run now (its metrics or folder changed lately)."""
    try:
        newest = max(path.stat().st_mtime for path in (folder, folder / METRICS_FILE) if path.exists())
    except (OSError, ValueError):
        return False
    return time.time() - newest < WRITTEN_LATELY_S


_STOPPED_RUN_KEY = "training/stopped_run"  # the output folder of a run that Continue can pick up


def _remember_stopped_run(out_dir: str | None) -> None:
    store = app_settings()
    if out_dir:
        store.setValue(_STOPPED_RUN_KEY, out_dir)
    else:
        store.remove(_STOPPED_RUN_KEY)
    store.sync()


class TrainingPanel(RunControlsMixin, QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._settings: TrainSettings | None = None  # of the current or last run
        self._resumable: TrainSettings | None = None  # a stopped run that Continue picks up
        self._reopening: Path | None = None  # a followed run caught half-rewritten, read again shortly
        self._first_step: StepEvent | None = None  # of this session of the run: the base of speed and ETA
        self.last_result: TrainResult | None = None

        self.form = TrainingForm()
        self.form.changed.connect(self._refresh_controls)
        scroll_past(self.form)  # the corpus, preset and model widgets beside the described settings too
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + 24)

        self._init_run_controls(
            self.tr("Choose a corpus, or try the Tang poems."),
            stop_tip=self.tr("Stop the run after saving a checkpoint; Continue can pick it up later."),
        )
        self.continue_button = QPushButton(self.tr("Continue"))  # its tooltip names the run: _refresh_controls
        self.continue_button.clicked.connect(self.continue_run)
        self.open_run_button = QPushButton(self.tr("Open a run…"))
        self.open_run_button.setToolTip(self.tr(
            "Show a run from its folder: its curves, samples, probes, head scores and kept checkpoints. "
            "A stopped run can then be continued. A run that another process is writing (torchrun, another "
            "machine through a shared folder) is followed as it trains."))
        self.open_run_button.clicked.connect(self._ask_open_run)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button, self.continue_button):
            buttons.addWidget(button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.problems_label)
        left_layout.addWidget(self.notes_label)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.progress)
        left_layout.addWidget(self.status_label)

        self.curves = TrainingCurves()
        self.curves.header.insertWidget(1, self.open_run_button)  # beside "Compare with a run…", over the curves
        self.scrubber = CheckpointScrubber(state)
        self.scrubber.step_shown.connect(self.curves.mark_step)
        self.scrubber.training_device = self._training_device
        self.curves.evaluations.addTab(self.scrubber, self.tr("Checkpoints"))
        self.drift = DriftView(state)
        self.curves.evaluations.addTab(self.drift, self.tr("Drift"))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.curves)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)  # a full page: wide enough for a 1280-pixel screen
        layout.addWidget(splitter)

        self.following = RunFollowing(self)
        self.following.updated.connect(self._show_update)
        # A killed trainer writes nothing more: its run waits for Continue from its checkpoint, here.
        self.following.trainer_ended.connect(lambda: self._open_again(self.following.folder))
        self.following.gone.connect(lambda folder: self.run.set_status(self.tr(
            "The run's folder {folder} is gone: following has stopped; what it showed stays here.").format(
                folder=folder)))

        state.model_changed.connect(self._model_changed)
        self._model_changed(state.loaded_model)
        self._offer_stopped_run()
        self._refresh_controls()

    # ----- commands -------------------------------------------------------------------

    def start(self) -> None:
        if self.is_running() or self.form.problems():
            return
        settings = self.form.settings()
        self._reopening = None
        previous = Path(self._settings.out_dir).name if self._settings else self.tr("previous run")
        self.curves.start_run(previous)
        self._launch(settings, resume=False)

    def open_run(self, folder: str | Path) -> None:
        """Show the run in ``folder`` as it was left; a stopped run waits for Continue. Raises
        InvalidInputError (one line) when the folder is not a run."""
        if self.is_running():
            return
        self._reopening = None
        found = stopped_run(folder)
        self.following.prepare(folder)  # before reading: what is written meanwhile comes with the next look
        history = read_run(folder)
        last = history.steps[-1].step if history.steps else 0
        written_now = _trains_now(Path(folder))
        # Steps past the checkpoint: written by a run that trains now, or left by one that crashed.
        live = found is not None and last > found[1] and written_now
        unfinished = found is not None and found[1] < found[0].max_iters and not live
        if unfinished and last > found[1]:  # a stopped run resumes from its checkpoint: draw what it keeps
            history = read_run(folder, up_to_step=found[1])
        self._show_history(history)
        self._resumable = history.settings if unfinished else None
        if history.settings is not None:
            self._settings = history.settings
            self._show_settings(history.settings)
        step = history.steps[-1].step if history.steps else 0
        if history.settings is not None:
            self._show_steps_bar(step)  # how far the run is, as while it trains
        self.following.start(history)
        if unfinished:
            message = self.tr("The run in {folder} stopped at step {step}: Continue carries it on.")
        elif (found is None or found[1] < found[0].max_iters) and written_now:
            message = self.tr("Following the run in {folder}: step {step}.")
        else:
            message = self.tr("The run in {folder}, shown up to step {step}.")
        self.run.set_status(message.format(folder=Path(folder).name, step=step), tip=str(folder))
        self._refresh_controls()

    def _ask_open_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a run's folder"))
        if not folder:
            return
        try:
            self.open_run(folder)
        except (InvalidInputError, OSError) as error:
            QMessageBox.warning(self, self.tr("Cannot open the run"), error_text(error))

    def _show_history(self, history: RunHistory) -> None:
        shown = Path(self._settings.out_dir).resolve() if self._settings else None
        previous = self.tr("previous run") if shown is None else shown.name
        self.curves.start_run(None if shown == history.folder.resolve() else previous)
        self.curves.show_history(history)
        self._set_run(history.folder, history.settings)
        # The last evaluation that read them: one a Stop cut short read none.
        probes = next((event.probes for event in reversed(history.evaluations) if event.probes), ())
        self.scrubber.set_probes([record.text for record in probes])
        self.scrubber.set_steps(history.snapshots if history.settings else ())
        self.drift.show_records(probes)

    def _show_update(self, update: RunUpdate) -> None:
        """What the followed run's folder gained since the last look."""
        folder = self.following.folder
        if update.read_again or (update.steps and self._resumable is not None):
            # Resumed from its checkpoint (maybe elsewhere), or taken up again: read it again.
            self._open_again(folder)
            return
        if update.settings is not None:
            self._settings = update.settings
            self._set_run(folder, update.settings)
            self._show_settings(update.settings)
        if update.steps:
            self._resumable = None  # another process is writing it: Continue here would write it twice
            self.curves.add_steps(update.steps)
            last = update.steps[-1].step
            if self._settings is not None:
                self.progress.setRange(0, self._settings.max_iters)
                self.progress.setValue(last)
            self.run.set_status(self.tr("Following the run in {folder}: step {step}.").format(
                folder=folder.name, step=last), tip=str(folder))  # as ``open_run`` says it: the buttons stay put
            self._refresh_controls()
        for event in update.evaluations:
            self.curves.add_eval(event)
            self._show_probes(event.probes)
        if update.snapshots is not None:
            self.scrubber.set_steps(update.snapshots)
            self.state.catalog_changed.emit()

    def _open_again(self, folder: Path, tries: int = OPEN_AGAIN_TRIES) -> None:
        """Read a followed run again; a file caught half-rewritten is tried again shortly, unless another run was
        opened or started meanwhile (the retry would put this one back over it)."""
        try:
            self.open_run(folder)
        except (InvalidInputError, OSError):
            self.following.stop()
            if tries > 1:
                self._reopening = Path(folder)
                QTimer.singleShot(OPEN_AGAIN_INTERVAL_MS, self, lambda: self._retry_open(Path(folder), tries - 1))

    def _retry_open(self, folder: Path, tries: int) -> None:
        if self._reopening == folder:
            self._open_again(folder, tries)

    def _training_device(self) -> str | None:
        return self._settings.device if self.is_running() and self._settings else None

    def _set_run(self, out_dir: str | Path, settings: TrainSettings | None) -> None:
        """The evaluation views follow the run in ``out_dir`` (without its settings they show nothing to read)."""
        block_size = settings.block_size if settings else 0
        self.scrubber.set_run(out_dir, block_size)
        self.drift.set_run(out_dir, settings.base_model if settings and settings.is_finetune else None, block_size)

    def _show_settings(self, settings: TrainSettings) -> None:
        """A run's settings in the form, ready for Start to train a new model like it in a fresh folder (the shown
        run's own folder is not empty: Continue carries that run on)."""
        shown = {name: value for name, value in asdict(settings).items() if self.form.shows(name) and name != "out_dir"}
        self.form.set_values(**shown)
        self.form.new_output_folder()

    def continue_run(self) -> None:
        if self.is_running() or self._resumable is None:
            return
        self.form.set_values(out_dir=self._resumable.out_dir)  # the folder it writes to, while it runs
        self._launch(self._resumable, resume=True)
        self.run.ended.connect(self._after_continue, Qt.ConnectionType.SingleShotConnection)

    def _after_continue(self) -> None:
        if self.last_result is None:  # refused before its first step: Start needs a new folder again
            self.form.new_output_folder()

    # ----- running --------------------------------------------------------------------

    def _launch(self, settings: TrainSettings, resume: bool) -> None:
        self.following.stop()
        self._settings = settings
        if not (resume and self.scrubber.out_dir == Path(settings.out_dir)):
            self._set_run(settings.out_dir, settings)  # a run continued keeps its kept steps and probes listed
        self._resumable = None
        self._first_step = None
        self.last_result = None
        self._show_steps_bar()
        # Steps arrive in batches a few times a second: a wakeup per step would slow the trainer.
        self.run.launch(lambda control: batch_steps(train(settings, control, resume=resume), control))

    def _on_event(self, event) -> None:
        if isinstance(event, StepBatch):
            self.curves.add_steps(event.steps)
            self._show_progress(event.steps[-1])
        elif isinstance(event, EvalEvent):
            self.curves.add_eval(event)
            self._show_probes(event.probes)
        elif isinstance(event, SavingProgress):
            self._show_saving(event)
        elif isinstance(event, CheckpointEvent):
            self._show_steps_bar(event.step)
            self.run.set_status(self.tr("Checkpoint saved at step {step}.").format(step=event.step))
            self.state.catalog_changed.emit()
        elif isinstance(event, SnapshotEvent):
            self.scrubber.set_steps(event.kept)
            self.run.set_status(self.tr("Saved the model of step {0}: {1} steps kept, {2} on disk.").format(
                event.step, len(event.kept), format_bytes(event.disk_bytes)))
            self.state.catalog_changed.emit()  # the picker lists it under the run
        elif isinstance(event, CorpusStats):
            self.form.show_corpus_stats(event)
        elif isinstance(event, StatusEvent):
            self.run.set_status(translated(event.message) + "…")
        elif isinstance(event, RunWarning):
            self.run.set_status(translated(event.message), problem=True)

    def _show_probes(self, probes: tuple[ProbeRecord, ...]) -> None:
        """An evaluation's probes for the scrubber and the drift view; one a Stop cut short read none, and the ones
        before stay listed (an empty list would leave the scrubber nothing to read)."""
        if probes:
            self.scrubber.set_probes([record.text for record in probes])
            self.drift.show_records(probes)

    def _show_steps_bar(self, step: int = 0) -> None:
        self.progress.setRange(0, self._settings.max_iters)
        self.progress.setFormat("%v / %m")
        self.progress.setValue(step)

    def _show_saving(self, event: SavingProgress) -> None:
        """While a checkpoint is written, the bar shows how much of it, and the status line the time left."""
        self.progress.setRange(0, 100)
        self.progress.setFormat(self.tr("Saving a checkpoint: %p%"))
        self.progress.setValue(round(event.fraction * 100))
        left = "" if event.seconds_left is None else self.tr(" · about {0} left").format(_duration(event.seconds_left))
        self.run.set_status(self.tr("Saving a checkpoint… {0}%{1}").format(round(event.fraction * 100), left))

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
        self.run.set_status(
            # Overall: evaluations, samples and probes included, as the time left must count them (metrics.csv's
            # tokens_per_s is each step's own).
            self.tr("Step {step} of {total} · {speed:,.0f} tokens/s overall · about {left} left{paused}").format(
                step=event.step,
                total=self._settings.max_iters,
                speed=tokens_per_s,
                left=_duration(left),
                paused=self.tr(" · paused") if self.run.paused else "",
            )
        )

    def _on_finished(self, result: TrainResult) -> None:
        self.last_result = result
        self.curves.run_ended()
        self.state.catalog_changed.emit()
        if result.stopped and self.run.stop_requested:  # stopped by Stop (or closing), not diverged
            self._resumable = self._settings
            # The output folder below turns to a new one: say which folder each button writes to.
            self.run.set_status(translated(result.message) + " " + self.tr(
                "Continue goes on in {0}; Start begins a new run.").format(Path(self._settings.out_dir).name),
                tip=self._settings.out_dir)
        _remember_stopped_run(self._resumable.out_dir if self._resumable else None)
        self.form.new_output_folder()  # the next Start writes a new run

    def _offer_stopped_run(self) -> None:
        """A run stopped in an earlier session (closing the window stops runs) waits for Continue,
        with its settings in the form."""
        folder = app_settings().value(_STOPPED_RUN_KEY)
        found = stopped_run(folder) if isinstance(folder, str) and folder else None  # INI gives lists for "a, b"
        if found is None:
            _remember_stopped_run(None)
            return
        try:
            self.open_run(folder)
        except (InvalidInputError, OSError):  # its metrics are gone or unreadable: it can still be continued
            settings, step = found
            self._settings = self._resumable = settings
            self._show_settings(settings)
            self._show_steps_bar(step)
            self.run.set_status(self.tr("The run in {folder} stopped at step {step}: Continue carries it on.").format(
                folder=Path(settings.out_dir).name, step=step), tip=settings.out_dir)
            self._refresh_controls()

    # ----- view -----------------------------------------------------------------------

    def _model_changed(self, loaded: LoadedModel | None) -> None:
        if loaded is None or not loaded.can_generate:
            self.form.set_base_model(None)
        else:
            self.form.set_base_model(loaded.entry.id, translated(loaded.entry.name))

    def _refresh_controls(self) -> None:
        running = self.is_running()
        self.run.refresh(self.form.problems, self.form.notes)
        self.form.set_editable(not running)
        self.continue_button.setEnabled(not running and self._resumable is not None)
        self.continue_button.setToolTip(self.tr("Carry on the stopped run from its checkpoint, on the same curve.") + (
            "\n" + self.tr("It goes on in {0}.").format(self._resumable.out_dir) if self._resumable else ""))
        self.open_run_button.setEnabled(not running)

    def shutdown(self) -> None:
        """Stop the run with a checkpoint and the scrubber's reading, and wait for both (closing)."""
        self.following.stop()
        self.scrubber.shutdown()
        self.drift.shutdown()
        super().shutdown()
