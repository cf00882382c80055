"""The checkpoint scrubber: a slider over the run's kept steps; for the chosen probe, that step's
attention (a layer and head), its logit lens, the heads' induction scores and its next tokens.

Each (step, probe) is read once on a worker (``core/training/scrub.py``) and cached, so scrubbing
back and forth is immediate after the first pass. ``step_shown`` tells the curves where to put
their marker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel

from workbench.core.catalog import TRAINED, folder_entry
from workbench.core.checkpoints import step_folder
from workbench.core.devices import device_beside_training, resolve_device
from workbench.core.loading import LoadSettings
from workbench.core.training.run_history import run_probes
from workbench.core.training.scrub import StepReading, read_step
from workbench.qt.attention.heatmap import AttentionHeatmap, DisplayOptions
from workbench.qt.common.app_state import AppState
from workbench.qt.common.jobs import Job
from workbench.qt.common.language import translated
from workbench.qt.common.probabilities import percent
from workbench.qt.lens.grid import LensGrid

SMALLEST_VIEW = 64  # pixels: the tab sits under the plots on a laptop screen (a 1280x720 one too)


class CheckpointScrubber(QWidget):
    step_shown = Signal(int)  # the step whose reading is on screen

    needs_room = True  # under the plots, the Training curves give this tab most of the height

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.out_dir: Path | None = None
        self.block_size = 0
        self.steps: list[int] = []
        self.probes: list[str] = []
        self.readings: dict[tuple[int, str], StepReading] = {}
        self.shown: StepReading | None = None

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(self.tr("The run's kept evaluations: drag to read the probe with the model of "
                                       "each step. The first reading of a step takes a moment; then it is instant."))
        self.slider.valueChanged.connect(self._request)
        self.step_label = QLabel()
        self.probe_combo = QComboBox()
        self.probe_combo.setToolTip(self.tr("The probe text the model of the chosen step reads."))
        self.probe_combo.currentIndexChanged.connect(self._request)
        self.layer_spin, self.head_spin = QSpinBox(), QSpinBox()
        for spin, tip in ((self.layer_spin, self.tr("Layer (from 0)")), (self.head_spin, self.tr("Head (from 0)"))):
            spin.setToolTip(tip)
            spin.valueChanged.connect(self._show_attention)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Step")))
        top.addWidget(self.slider, 1)
        top.addWidget(self.step_label)
        top.addWidget(QLabel(self.tr("Probe")))
        top.addWidget(self.probe_combo, 1)
        top.addWidget(QLabel(self.tr("Layer")))
        top.addWidget(self.layer_spin)
        top.addWidget(QLabel(self.tr("Head")))
        top.addWidget(self.head_spin)

        self.heatmap = AttentionHeatmap()
        self.heatmap.setMinimumSize(SMALLEST_VIEW, SMALLEST_VIEW)  # under the plots on a laptop screen: short
        self.lens_grid = LensGrid()
        self.lens_grid.set_axis_titles(self.tr("layer (the embeddings on top)"),
                                       self.tr("the token each position predicts (the one that came next)"))
        self.heads_grid = LensGrid()
        self.heads_grid.set_axis_titles(self.tr("layer"), self.tr("head"))
        self.views = QTabWidget()
        self.views.addTab(self.heatmap, self.tr("Attention"))
        self.views.addTab(self.lens_grid, self.tr("Logit lens"))
        self.views.addTab(self.heads_grid, self.tr("Induction scores"))
        self.next_tokens = QElidingLabel()
        self.next_tokens.setToolTip(self.tr("The tokens the model of this step finds likeliest after the probe."))
        self.status = QElidingLabel(self._idle_text())
        self.open_button = QPushButton(self.tr("Open in the window"))
        self.open_button.setToolTip(self.tr(
            "Load the model of this step as the window's model, to generate from and inspect on every page. "
            "While the run trains it loads on the CPU, leaving the training device to the run."))
        self.open_button.clicked.connect(self.open_step)
        # The panel's: the device a run trains on now (None when none trains), to open a step beside it.
        self.training_device: Callable[[], str | None] = lambda: None
        bottom = QHBoxLayout()  # one row under the views: under the plots on a laptop screen, height is short
        bottom.addWidget(self.next_tokens, 1)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.views, 1)
        layout.addLayout(bottom)

        self.state = state
        self._opening: tuple[str, int] | None = None  # where the model the window was asked to load is, its step
        state.model_changed.connect(self._on_model_changed)
        self.job = Job(state.jobs, parent=self, one_at_a_time=True)  # a checkpoint loads whole, unstoppable
        self.job.event.connect(self._show_status)
        self.job.finished.connect(self._on_reading)
        self.job.failed.connect(self.status.setText)
        self._set_enabled()

    # --- what there is to scrub ------------------------------------------------------------

    def set_run(self, out_dir: str | Path, block_size: int) -> None:
        """A new run: forget the old one's steps and readings."""
        self.job.abandon()
        self.out_dir, self.block_size = Path(out_dir), block_size
        self.steps, self.readings, self.shown = [], {}, None
        self.probes = []  # a new run may probe the same texts: they are listed again
        self.probe_combo.clear()
        # The last run's reading goes too: under a new run it would read as that run's step.
        self.heatmap.clear_matrix()
        self.lens_grid.clear_grid()
        self.heads_grid.clear_grid()
        self.next_tokens.setText("")  # (an eliding label keeps its text through clear())
        self.status.setText(self._idle_text())
        self.step_label.clear()
        self._set_enabled()

    def _idle_text(self) -> str:
        return self.tr("The kept evaluations of a run appear here as it trains.")

    def set_probes(self, texts: list[str]) -> None:
        if texts != self.probes:
            self.probes = list(texts)
            self.probe_combo.clear()
            self.probe_combo.addItems(self.probes)

    def set_steps(self, steps: tuple[int, ...]) -> None:
        """The steps kept now (older ones may have been dropped by the retention rule)."""
        if steps and not self.probes and self.out_dir is not None:
            # No evaluation has read its probes yet (a Stop cut the first short): the run says which it reads.
            self.set_probes(list(run_probes(self.out_dir)))
        at_end = self.slider.value() == self.slider.maximum()
        current = self.current_step()
        self.steps = sorted(steps)
        self.readings = {key: reading for key, reading in self.readings.items() if key[0] in self.steps}
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.steps) - 1))
        index = len(self.steps) - 1 if at_end or current not in self.steps else self.steps.index(current)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._set_enabled()
        if self.current_step() != current:  # following the newest step: read it, as a move of the slider would
            self._request()
        else:
            self.step_label.setText(str(self.current_step() or ""))

    def current_step(self) -> int | None:
        return self.steps[self.slider.value()] if self.steps else None

    def open_step(self) -> None:
        """Ask the window to load the model of the step shown: beside a training run, on the run's
        device when its free memory allows, else on the CPU."""
        step = self.current_step()
        if step is None or self.out_dir is None:
            return
        folder = step_folder(self.out_dir, step)
        training_on = self.training_device()
        if training_on is None:
            device, where = "auto", self.tr("on the default device")
        else:
            weights = sum(file.stat().st_size for file in folder.glob("*.safetensors"))
            training_device = resolve_device(training_on)
            chosen = device_beside_training(training_device, weights)
            device = str(chosen)
            if chosen.type != "cpu":
                where = self.tr("on {0}, beside the training run").format(device)
            elif training_device.type == "cpu":
                where = self.tr("on the CPU, beside the training run")
            else:
                where = self.tr("on the CPU: {0} has too little free memory beside the training run").format(
                    training_on)
        self.status.setText(self.tr("Opening the model of step {0} {1}…").format(step, where))
        entry = folder_entry(folder, source=TRAINED)
        self._opening = (entry.location, step)
        self.state.open_model_requested.emit(entry, LoadSettings(device=device))

    def _on_model_changed(self, loaded) -> None:
        if self._opening is None or loaded is None:
            return
        location, step = self._opening
        if loaded.entry.location == location:
            self.status.setText(self.tr("The model of step {0} is loaded: the Generate page uses it.").format(step))
        else:
            self.status.clear()
        self._opening = None

    def _set_enabled(self) -> None:
        self.open_button.setEnabled(bool(self.steps))
        for widget in (self.slider, self.probe_combo, self.layer_spin, self.head_spin):
            widget.setEnabled(bool(self.steps))

    # --- reading ------------------------------------------------------------------------------

    def _request(self) -> None:
        step, probe = self.current_step(), self.probe_combo.currentText()
        self.step_label.setText(str(step or ""))
        if step is None or not probe or self.out_dir is None or not self.isVisible():
            return
        if (step, probe) in self.readings:
            self._show(self.readings[(step, probe)])
            return
        folder, block_size = step_folder(self.out_dir, step), self.block_size
        self.job.start(lambda cancel: read_step(folder, step, probe, block_size, cancel))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._request()  # read nothing until someone looks

    def _on_reading(self, reading: StepReading) -> None:
        self.readings[(reading.step, reading.probe)] = reading
        if (reading.step, reading.probe) == (self.current_step(), self.probe_combo.currentText()):
            self._show(reading)

    def _show(self, reading: StepReading) -> None:
        self.shown = reading
        attention = reading.attention
        for spin, count in ((self.layer_spin, attention.layers), (self.head_spin, attention.heads)):
            spin.blockSignals(True)
            spin.setRange(0, count - 1)
            spin.blockSignals(False)
        self.heatmap.set_tokens(attention.queries.labels, attention.keys.labels)
        self._show_attention()
        lens = reading.lens
        # Column i holds position i's guess at token i + 1: labelled by that token, as on the Lens page.
        self.lens_grid.set_labels([translated(layer) for layer in lens.layers], attention.queries.labels[1:])
        self.lens_grid.set_values(lens.next_token_prob[:, :-1], (0.0, 1.0), pg.colormap.get("viridis"),
                                  self.tr("probability of the next token"))
        induction = reading.head_scores.induction  # (L, H)
        self.heads_grid.set_labels([f"L{layer}" for layer in range(induction.shape[0])],
                                   [f"H{head}" for head in range(induction.shape[1])])
        self.heads_grid.set_values(induction.astype(np.float32), (0.0, 1.0), pg.colormap.get("viridis"),
                                   self.tr("induction score"))
        self.next_tokens.setText(
            self.tr("Next: ") + "  ".join(f"“{text}” {percent(p, 0)}" for text, p in reading.next_tokens))
        self.status.setText(self.tr("Step {0}, read on the CPU.").format(reading.step))
        self.step_shown.emit(reading.step)

    def _show_attention(self) -> None:
        if self.shown is not None:
            weights = self.shown.attention.weights[self.layer_spin.value(), self.head_spin.value()]  # (T, T)
            # The future cells of a causal model are left empty, as on the Attention page.
            self.heatmap.set_matrix(weights.astype(np.float32), DisplayOptions(causal=self.shown.attention.causal))

    def _show_status(self, message: str) -> None:
        self.status.setText(translated(message))  # what the job is doing, in the interface's language

    def shutdown(self) -> None:
        self.job.shutdown()
