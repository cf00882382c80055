"""The generative lab: train a VAE or a GAN on small images and watch it learn.

The run is ``workbench.core.genlab.trainer.train`` under a ``RunController`` (start,
pause, resume, stop on a ``Job`` thread). Step metrics feed live curves; every
epoch brings a sample grid from the fixed noise batch, VAE reconstructions beside their
originals, and a CPU snapshot of the model that the latent interpolation uses on the GUI
thread (it is a copy, so the worker never shares weights with the view).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from workbench.core import paths
from workbench.core.errors import WorkbenchError
from workbench.core.genlab.data import ImageSet
from workbench.core.genlab.images import interleave
from workbench.core.genlab.models import VAE, GenerativeModel
from workbench.core.genlab.settings import GenLabSettings
from workbench.core.genlab.storage import (
    CONFIG_FILE,
    last_window_run,
    read_model_and_digits,
    save_model,
    window_checkpoint_dir,
)
from workbench.core.genlab.trainer import (
    CheckpointEvent,
    EpochEnd,
    GenLabResult,
    ImagesLoaded,
    StatusEvent,
    StepMetrics,
    fixed_noise,
    train,
)
from workbench.core.settings_fields import settings_from_data
from workbench.qt.common.app_state import AppState
from workbench.qt.common.curves import LiveCurvesWidget, XAxis
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import error_text, translated
from workbench.qt.common.run_controls import RunControlsMixin
from workbench.qt.genlab.form import GenLabForm
from workbench.qt.genlab.image_view import ImageGridView

INTERPOLATION_STEPS = 8
# The curves show all their plots when that takes at most this share of the page's height; else this one.
CURVES_SHARE_MAX, CURVES_SHARE_SHORT = 0.6, 0.45


class GenLabPanel(RunControlsMixin, QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._run_settings = None  # GenLabSettings of the current or last run
        self._run_count = 0
        self.model: GenerativeModel | None = None  # latest snapshot, finished run or loaded model
        self.images: ImageSet | None = None  # of the last run (read on the worker) or of a loaded model
        self.last_result: GenLabResult | None = None
        # (kind, epochs done) of the run whose checkpoint holds the model shown: Continue trains it further.
        self._continuable: tuple[str, int] | None = None

        self.form = GenLabForm()
        self.form.changed.connect(self._refresh_controls)
        self.curves = {"vae": self._vae_curves(), "gan": self._gan_curves()}
        self.curve_stack = QStackedWidget()
        for widget in self.curves.values():
            self.curve_stack.addWidget(widget)

        self.samples_view = ImageGridView(self.tr("Samples"), columns=8)
        self.reconstructions_view = ImageGridView(self.tr("Held-out digits | VAE reconstructions"), columns=8)
        self.interpolation_view = ImageGridView(self.tr("Latent interpolation"), columns=INTERPOLATION_STEPS + 2)
        for view in (self.samples_view, self.reconstructions_view, self.interpolation_view):
            view.show_message(self.tr("Press Start"))

        self.from_index = QSpinBox()
        self.to_index = QSpinBox()
        self.steps = QSpinBox()
        self.steps.setRange(2, 16)
        self.steps.setValue(INTERPOLATION_STEPS)
        self.steps.setToolTip(self.tr("How many generated images the line shows, from one end to the other "
                                      "(the VAE's line also shows the two real images it starts and ends at)."))
        for box in (self.from_index, self.to_index, self.steps):
            box.valueChanged.connect(self.update_interpolation)

        self._build_layout()
        self._progress_kind: str | None = None  # the kind of the run the progress bar counts the epochs of
        self._model_status: tuple[str, bool, str] = ("", False, "")  # the model at hand's status, while another
        # kind is shown: (text, problem, tooltip) as ``set_status`` takes them
        self._fitted = False  # whether the curves and the pictures have shared the page's height yet
        self.form.model_combo.currentIndexChanged.connect(self._show_model_kind)
        self._show_model_kind()
        self._opening = Job(state.jobs, parent=self)  # a saved model opened by hand, read off the GUI thread
        self._opening_folder = ""
        self._opening.event.connect(lambda text: self.run.set_status(translated(text)))
        self._opening.finished.connect(self._show_opened)
        self._opening.failed.connect(lambda message: self.run.set_status(message, problem=True))
        self._restore_last_model()

    # ----- construction ----------------------------------------------------------------

    def _curves_widget(self) -> LiveCurvesWidget:
        return LiveCurvesWidget([XAxis("step", self.tr("Step"), whole=True), XAxis("epoch", self.tr("Epoch"))])

    def _vae_curves(self) -> LiveCurvesWidget:
        curves = self._curves_widget()
        curves.add_plot("loss", self.tr("Loss per image (nats)"))
        curves.add_series(self.tr("Total"), "loss", smoothing=True)
        curves.add_series(self.tr("Reconstruction"), "loss", smoothing=True)
        curves.add_series(self.tr("KL"), "loss", smoothing=True)
        return curves

    def _gan_curves(self) -> LiveCurvesWidget:
        curves = self._curves_widget()
        curves.add_plot("loss", self.tr("Loss"))
        curves.add_series(self.tr("D loss"), "loss", smoothing=True)
        curves.add_series(self.tr("G loss"), "loss", smoothing=True)
        probabilities = curves.add_plot("prob", self.tr("D output"), beside=True)  # both whole on a laptop
        probabilities.setYRange(0.0, 1.0, padding=0.02)  # a probability: the whole range tells the story
        probabilities.enableAutoRange(y=False)
        curves.add_series(self.tr("D(x) real"), "prob", smoothing=True)
        curves.add_series(self.tr("D(G(z)) fake"), "prob", smoothing=True)
        return curves

    def _series_names(self, kind: str) -> dict[str, str]:
        """Core metric name -> curve name (translated)."""
        if kind == "vae":
            return {"total": self.tr("Total"), "reconstruction": self.tr("Reconstruction"), "kl": self.tr("KL")}
        return {
            "d_loss": self.tr("D loss"),
            "g_loss": self.tr("G loss"),
            "d_real": self.tr("D(x) real"),
            "d_fake": self.tr("D(G(z)) fake"),
        }

    def _build_layout(self) -> None:
        run = self._init_run_controls(
            self.tr("Choose a model and press Start."),
            stop_tip=self.tr("Stop after saving a checkpoint; the model trained so far stays here."),
        )
        run.ended.connect(self._flush_curves)
        self.save_button = QPushButton(self.tr("Save model…"))
        self.save_button.setToolTip(self.tr("Save the model shown here (weights and settings) into a folder."))
        self.save_button.clicked.connect(self._ask_save)
        self.load_button = QPushButton(self.tr("Load model…"))
        self.load_button.setToolTip(
            self.tr("Open a saved lab model (or a checkpoint folder) to sample and interpolate.")
        )
        self.load_button.clicked.connect(self._ask_load)
        self.continue_button = QPushButton(self.tr("Continue"))
        self._continue_tip = self.tr(
            "Train the model shown further, from the checkpoint its run left, up to the epochs set above (raise them "
            "to go on after a run that finished).")
        self.continue_button.setToolTip(self._continue_tip)
        self.continue_button.clicked.connect(self.continue_run)
        buttons = QGridLayout()
        for index, button in enumerate((self.start_button, self.continue_button, self.pause_button, self.stop_button,
                                        self.save_button, self.load_button)):
            buttons.addWidget(button, index // 3, index % 3)

        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("epoch %v of %m"))

        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.addWidget(self.form)
        controls_layout.addWidget(self.problems_label)
        controls_layout.addLayout(buttons)
        controls_layout.addWidget(self.progress)
        controls_layout.addWidget(self.status_label)
        controls_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(controls.sizeHint().width() + 24)

        interpolation_controls = QHBoxLayout()
        self.from_label = QLabel()
        self.to_label = QLabel()
        for label, box in ((self.from_label, self.from_index), (self.to_label, self.to_index)):
            label.setBuddy(box)
            interpolation_controls.addWidget(label)
            interpolation_controls.addWidget(box)
        steps_label = QLabel(self.tr("Steps"))
        steps_label.setBuddy(self.steps)
        interpolation_controls.addWidget(steps_label)
        interpolation_controls.addWidget(self.steps)
        interpolation_controls.addStretch(1)
        interpolation = QWidget()
        interpolation_layout = QVBoxLayout(interpolation)
        interpolation_layout.setContentsMargins(0, 0, 0, 0)
        interpolation_layout.addLayout(interpolation_controls)
        interpolation_layout.addWidget(self.interpolation_view, 1)

        grids = QSplitter(Qt.Orientation.Horizontal)
        grids.addWidget(self.samples_view)
        grids.addWidget(self.reconstructions_view)
        self._lower = lower = QSplitter(Qt.Orientation.Vertical)  # the GAN's, without reconstructions: side by side
        lower.addWidget(grids)
        lower.addWidget(interpolation)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        self._right = right = QSplitter(Qt.Orientation.Vertical)  # its heights: _fit_pictures, once sized
        right.addWidget(self.curve_stack)
        right.addWidget(lower)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        for pane in (right, lower, grids):  # no drag or early sizing may shrink a plot or the pictures to nothing
            pane.setChildrenCollapsible(False)

        outer = QHBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        outer.addWidget(splitter)
        self._refresh_controls()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_once()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit_once()

    def _fit_once(self) -> None:
        if not self._fitted and self.isVisible():  # once, shown: later the splitter keeps its ratio, or the user's
            self._fitted = True
            QTimer.singleShot(0, self, self._fit_pictures)  # after the layouts have placed the splitter

    def _fit_pictures(self) -> None:
        """The curves get the height that shows all their plots when that leaves the pictures two fifths or more
        (a full HD screen); else the pictures get most of it (a laptop): the first plot stays whole, the
        second scrolls. The pictures are what the lab is about."""
        height = self._right.height() - self._right.handleWidth()  # what the two share
        if height < self._right.minimumSizeHint().height():  # not laid out yet: fit at the next resize
            self._fitted = False
            return
        curves = self.curve_stack.currentWidget()
        wanted = curves.unscrolled_height()
        if wanted > height * CURVES_SHARE_MAX:
            wanted = max(curves.minimumSizeHint().height(), int(height * CURVES_SHARE_SHORT))
        self._right.setSizes([wanted, height - wanted])
        self._arrange_pictures()

    def _arrange_pictures(self) -> None:
        """A GAN has no reconstructions: its samples and its interpolation sit side by side, so the sample grid
        gets the whole height rather than being a stamp in the middle of a wide empty row."""
        if self.form.model == "vae":
            self._lower.setOrientation(Qt.Orientation.Vertical)
            self._lower.setSizes([700, 300])  # a ratio: the one-row strip needs less height than the square grids
        else:
            self._lower.setOrientation(Qt.Orientation.Horizontal)
            square = self._lower.height()  # the grid is square: the rest of the width goes to the strip
            self._lower.setSizes([square, max(self._lower.width() - square, square)])

    # ----- commands -------------------------------------------------------------------

    def start(self) -> None:
        if self.is_running() or self.form.problems():
            return
        settings = self.form.settings()
        curves = self.curves[settings.model]
        if self._run_count:
            curves.keep_as_overlay(self.tr("run {n}").format(n=self._run_count))
        self._run_count += 1
        self._continuable = None  # the checkpoint is this run's from its first one on; until then, not the model shown
        self._launch(settings, epochs_done=0, resume=False)

    def continue_run(self) -> None:
        """Train the model shown further from its run's checkpoint; its curves go on where they stopped."""
        if self.is_running() or self.form.problems() or not self._can_continue():
            return
        self._launch(self.form.settings(), epochs_done=self._continuable[1], resume=True)

    def _can_continue(self) -> bool:
        """The checkpoint holds the model shown, of the form's kind, and the form asks for more epochs than it has."""
        return (self._continuable is not None and self._continuable[0] == self.form.model
                and self.form.epochs.value() > self._continuable[1])

    def _launch(self, settings: GenLabSettings, epochs_done: int, resume: bool) -> None:
        self._run_settings = settings
        self._progress_kind = settings.model
        self.last_result = None
        checkpoint_dir = window_checkpoint_dir(settings.model)
        self.progress.setRange(0, settings.epochs)
        self.progress.setValue(epochs_done)
        self.progress.setVisible(True)
        self.run.launch(lambda control: train(settings, control, checkpoint_dir=checkpoint_dir, resume=resume))

    def save_model_to(self, folder: str | Path) -> None:
        folder = Path(folder)
        if folder.is_dir() and any(folder.iterdir()) and not (folder / CONFIG_FILE).is_file():
            # Saving replaces the folder whole: never on top of unrelated files.
            raise WorkbenchError(
                self.tr("'{folder}' is not empty: choose an empty or new folder.").format(folder=folder)
            )
        save_model(folder, self.model)
        self.run.set_status(self.tr("Model saved to {folder}.").format(folder=Path(folder).name), tip=str(folder))

    def load_model_from(self, folder: str | Path) -> None:
        """Open the lab model in ``folder``, read on a worker: the digits it is shown with take about a second."""
        self._opening_folder = str(folder)
        self._opening.start(lambda _cancel: read_model_and_digits(folder))

    def is_opening(self) -> bool:
        return self._opening.is_running

    def _show_opened(self, read: tuple[GenerativeModel, ImageSet | None]) -> None:
        if self.is_running():  # a run started while the model was read: the run's form and pictures stay
            return
        self._show_read_model(*read)
        self._continuable = None  # the model shown is not the one the lab's checkpoint holds
        self._refresh_controls()
        self.run.set_status(self.tr("Loaded a {kind} from {folder}.").format(
            kind=self.model.config.kind.upper(), folder=self._opening_folder))

    def _show_read_model(self, model: GenerativeModel, digits: ImageSet | None) -> None:
        """A model read from a folder on screen, with the digits it was made for (None: not the digits' size)."""
        self.model = model
        if digits is not None:
            self.images = digits  # held-out digits to reconstruct and interpolate
        settings = self.form.settings()
        if settings.model != model.config.kind:  # the kind's own epochs and rate, as choosing it in the form gives
            settings = settings.switched_to(model.config.kind)
        self.form.set_settings(
            settings.with_changes(latent_dim=model.config.latent_dim, hidden_dim=model.config.hidden_dim))
        self._progress_kind = None  # no run made it: no epochs to count
        self._show_model_kind()  # the form's kind may have changed without a signal: the views of this kind

    def _restore_last_model(self) -> None:
        """The newest lab run's model back from the checkpoint it saved as it ended or stopped (closing the window
        stops a run): quitting loses no model; the next run of its kind replaces it. Read on a worker: the panel
        is built as the window starts, and the digits take about a second. A damaged checkpoint shows nothing
        (the next run of its kind replaces it)."""
        last = last_window_run()
        if last is None:
            return
        folder, state = last
        self._restoring = Job(self.state.jobs, parent=self)
        self._restoring.finished.connect(lambda read: self._show_restored(read, folder, state))
        self._restoring.start(lambda _cancel: read_model_and_digits(folder))

    def _show_restored(self, read: tuple[GenerativeModel, ImageSet | None], folder: Path, state: dict) -> None:
        if self.model is not None or self.is_running():  # a run started or a model was loaded meanwhile: it wins
            return
        self._show_read_model(*read)
        kind = self.model.config.kind
        try:  # the run's own settings (its epochs, its rate), and its curves by epoch, as it saved them
            settings = settings_from_data(GenLabSettings, state.get("settings") or {},
                                          base=GenLabSettings.for_model(kind))
        except WorkbenchError:
            settings = None  # a checkpoint from another version: the kind's tuned values stay
        if settings is not None and settings.model == kind:
            self.form.set_settings(settings)
            self._show_saved_history(kind, state.get("history"))
            self._run_count = max(self._run_count, 1)  # a new run sets these curves aside as an earlier run's
        epoch = state.get("epoch")
        if isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0:
            self._continuable = (kind, epoch)
        self._refresh_controls()
        self.run.set_status(self.tr("The last {kind} trained here (epoch {epoch}) is back from its checkpoint: Save "
                                    "model… keeps it; Continue trains it further; Start trains a new one in its "
                                    "place.").format(kind=kind.upper(), epoch=state.get("epoch", "?")), tip=str(folder))

    def _show_saved_history(self, kind: str, history) -> None:
        """The saved mean of each metric per epoch, drawn where the live curves drew that epoch's end."""
        curves, names = self.curves[kind], self._series_names(kind)
        rows = [row for row in (history if isinstance(history, list) else []) if isinstance(row, dict)
                and isinstance(row.get("step"), int) and isinstance(row.get("epoch"), int)]  # damaged rows: skipped
        for row in rows:
            for name, label in names.items():
                value = row.get(name)
                if isinstance(value, (int, float)):
                    curves.append(label, (row["step"], row["epoch"]), float(value))
        curves.flush()

    # ----- run events -----------------------------------------------------------------

    def _on_event(self, event) -> None:
        if isinstance(event, StepMetrics):
            curves = self.curves[self._run_settings.model]
            names = self._series_names(self._run_settings.model)
            # Epochs as the run counts them: a run continued in another batch size has other steps per epoch.
            epochs = event.epoch - 1 + event.epoch_fraction
            for name, value in event.values.items():
                curves.append(names[name], (event.step, epochs), value)
        elif isinstance(event, EpochEnd):
            first_snapshot = self.model is None
            self.model = event.snapshot
            if first_snapshot:
                self._refresh_controls()
            self.progress.setValue(event.epoch)
            self.samples_view.set_images(event.samples)
            if event.reconstructions is not None:
                self.reconstructions_view.set_images(interleave(event.originals, event.reconstructions))
            self.update_interpolation()
            names = self._series_names(self._run_settings.model)
            means = ", ".join(f"{names[name]} {value:.3f}" for name, value in event.means.items())
            paused = self.tr(" · paused") if self.run.paused else ""
            self.run.set_status(
                self.tr("Epoch {epoch} of {epochs} · {means} · {seconds:.1f} s{paused}").format(
                    epoch=event.epoch, epochs=event.epochs, means=means, seconds=event.elapsed_s, paused=paused
                )
            )
        elif isinstance(event, ImagesLoaded):
            self.images = event.images
            self._configure_interpolation_inputs()
        elif isinstance(event, StatusEvent):
            self.run.set_status(translated(event.message) + "…")
        elif isinstance(event, CheckpointEvent):  # silent: the status line keeps the training figures
            self._continuable = (self._run_settings.model, event.epoch)  # Continue goes on from it, even after a crash

    def _flush_curves(self) -> None:
        for curves in self.curves.values():
            curves.flush()

    def _on_finished(self, result: GenLabResult) -> None:
        self.last_result = result
        self.model = result.model
        self.update_interpolation()
        self._refresh_controls()

    # ----- views ----------------------------------------------------------------------

    def _show_model_kind(self) -> None:
        kind = self.form.model
        self.curve_stack.setCurrentWidget(self.curves[kind])
        if self._fitted:
            self._fit_pictures()  # this kind's plots
        self.reconstructions_view.setVisible(kind == "vae")
        self._arrange_pictures()
        self.progress.setVisible(kind == self._progress_kind)  # the epochs of this kind's run, never another's
        self._configure_interpolation_inputs()
        if self.model is None or self.is_running():
            return
        if self.model.config.kind == kind:  # back to the kind of the model at hand: its pictures and status again
            self._show_model_views()
            self.run.set_status(*self._model_status)
        else:  # the other kind's pictures and figures are not this kind's
            if self.run.status_label.text():
                self._model_status = (self.run.status_label.text(), False, self.run.status_label.toolTip())
            # The reconstructions too: an earlier VAE's stayed beside this kind's "Press Start".
            for view in (self.samples_view, self.interpolation_view, self.reconstructions_view):
                view.show_message(self.tr("Press Start"))
            self.run.set_status("")

    def _show_model_views(self) -> None:
        """Fill the grids from ``self.model`` alone (a loaded model has no run events)."""
        model = self.model
        self.curve_stack.setCurrentWidget(self.curves[model.config.kind])
        self.samples_view.set_images(self._as_images(model.sample(self._noise(model))))
        if isinstance(model, VAE) and self._images_fit(model):
            originals = torch.from_numpy(np.array(self.images.held_out[:16]))
            self.reconstructions_view.set_images(
                interleave(self._as_images(originals), self._as_images(model.reconstruct(originals)))
            )
        self._configure_interpolation_inputs()
        self.update_interpolation()

    def _noise(self, model: GenerativeModel) -> torch.Tensor:
        return fixed_noise(model.config.latent_dim, self.form.seed.value())

    def _as_images(self, flat: torch.Tensor) -> np.ndarray:
        return flat.detach().cpu().numpy().reshape(-1, *self.model.config.image_shape)

    def _images_fit(self, model: GenerativeModel) -> bool:
        return self.images is not None and self.images.image_shape == model.config.image_shape

    def _configure_interpolation_inputs(self) -> None:
        """VAE: two held-out images; GAN: two samples of the fixed noise grid."""
        if self.form.model == "vae":
            self.from_label.setText(self.tr("From held-out image"))
            self.to_label.setText(self.tr("to"))
            tip = self.tr("Index of a held-out image (not used for training); its latent mean is one end of the line.")
            top = len(self.images.held_out) - 1 if self.images is not None else 0
            self.interpolation_view.set_title(self.tr("Latent interpolation: original, decoded steps, original"))
        else:
            self.from_label.setText(self.tr("From sample"))
            self.to_label.setText(self.tr("to"))
            tip = self.tr("Number of a sample in the grid above (row by row from 0); its noise vector is one end.")
            top = 63
            self.interpolation_view.set_title(self.tr("Noise interpolation between two samples of the grid"))
        with signals_blocked(self.from_index), signals_blocked(self.to_index):
            for box in (self.from_index, self.to_index):
                box.setRange(0, top)
                box.setToolTip(tip)
            if self.from_index.value() == self.to_index.value():
                self.to_index.setValue(min(top, self.from_index.value() + 1))  # a line needs two different ends
        self.update_interpolation()

    def update_interpolation(self) -> None:
        model = self.model
        if model is None or model.config.kind != self.form.model:
            return
        steps = self.steps.value()
        a, b = self.from_index.value(), self.to_index.value()
        if isinstance(model, VAE):
            if not self._images_fit(model):
                self.interpolation_view.show_message(self.tr("This model was trained on images of another size."))
                return
            ends = torch.from_numpy(np.array(self.images.held_out[[a, b]]))  # (2, pixels)
            line = model.interpolate(ends[0], ends[1], steps)  # (S, pixels)
            strip = torch.cat([ends[:1], line, ends[1:]])  # originals at both ends
        else:
            noise = self._noise(model)
            strip = model.interpolate(noise[a], noise[b], steps)
        self.interpolation_view.columns = len(strip)
        self.interpolation_view.set_images(self._as_images(strip))

    def _refresh_controls(self) -> None:
        running = self.is_running()
        self.run.refresh(self.form.problems)
        self.form.setEnabled(not running)
        self.save_button.setEnabled(self.model is not None)
        self.load_button.setEnabled(not running)
        self.continue_button.setEnabled(not running and self._can_continue() and not self.form.problems())
        if self._continuable is not None and self._continuable[0] == self.form.model:
            self.continue_button.setToolTip(self.tr(
                "Train the {kind} shown further, from its checkpoint at epoch {epoch}, up to the epochs set above "
                "(raise them to go on after a run that finished).").format(
                kind=self._continuable[0].upper(), epoch=self._continuable[1]))
        else:  # no checkpoint of this kind holds the model shown
            self.continue_button.setToolTip(self._continue_tip)

    # ----- dialogs --------------------------------------------------------------------

    def _ask_save(self) -> None:
        start = str(paths.data_dir() / "genlab" / f"{self.model.config.kind}-model")
        folder = QFileDialog.getSaveFileName(self, self.tr("Save model as folder"), start)[0]
        if folder:
            try:
                self.save_model_to(folder)
            except (WorkbenchError, OSError) as error:  # one line in the status, as a failed open says it
                self.run.set_status(error_text(error), problem=True)

    def _ask_load(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Open a saved lab model"), str(paths.data_dir() / "genlab")
        )
        if folder:
            self.load_model_from(folder)
