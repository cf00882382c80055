"""What a training run looks like: loss and learning-rate curves, a perplexity readout, and
the sample text of every evaluation. Earlier runs (live or from a metrics.csv) stay as overlays."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.attention_tokens import visible_text
from workbench.core.errors import InvalidInputError
from workbench.core.head_scores import HeadScores
from workbench.core.training.events import EvalEvent, StepEvent
from workbench.core.training.probes import ProbeRecord
from workbench.core.training.run_history import RunHistory, read_metrics_csv
from workbench.qt.common.curves import LiveCurvesWidget, XAxis
from workbench.qt.common.language import error_text
from workbench.qt.common.probabilities import percent
from workbench.qt.common.theme import SELECTION_COLOR
from workbench.qt.common.tooltips import literal
from workbench.qt.common.wrapped_rows import WrappedRowsTreeWidget

# Below this width the samples go under the plots: the plots' toolbar needs about 830 px, and a
# sample line is read comfortably in about 450.
SIDE_BY_SIDE_MIN_WIDTH = 1300
SAMPLES_MIN_HEIGHT = 120  # under the plots: the header and a few wrapped samples
STRONG_HEAD = 0.3  # a head whose latest induction score reaches this is named in the legend
PROBE_TEXT_SHOWN = 12  # characters of a probe's text in its table row (the whole text is its tooltip)


class TrainingCurves(QWidget):
    """Train loss (raw and smoothed), validation loss and learning rate by step, tokens seen or
    time; perplexity; the sample texts. ``add_steps``/``add_eval`` take the trainer's events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train_name = self.tr("train loss")
        self.val_name = self.tr("validation loss")
        self.lr_name = self.tr("learning rate")
        self.curves = LiveCurvesWidget(
            (
                XAxis("step", self.tr("Step"), whole=True),
                XAxis("tokens", self.tr("Tokens seen"), whole=True),
                XAxis("time", self.tr("Training time (s)")),
            )
        )
        self.curves.add_plot("loss", self.tr("Loss (cross-entropy)"), stretch=3)
        self.curves.add_plot("lr", self.tr("Learning rate"), stretch=1)
        self.curves.add_series(self.train_name, plot="loss", color="#4e79a7", smoothing=True)
        self.curves.add_series(self.val_name, plot="loss", color="#e15759", symbol="o")
        self.curves.add_series(self.lr_name, plot="lr", color="#59a14f")

        self.readout = QLabel(self.tr("No run yet."))
        self.readout.setToolTip(
            self.tr(
                "Perplexity = e^(validation loss): the model is as unsure as if it picked among that many tokens. "
                "Lower is better; a perfect model would reach 1."
            )
        )
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        load_button = QPushButton(self.tr("Compare with a run…"))
        load_button.setToolTip(self.tr("Overlay the curves of an earlier run from its metrics.csv."))
        load_button.clicked.connect(self._ask_load_metrics)
        self.header = header = QHBoxLayout()  # the panel adds its own run buttons here
        header.addWidget(self.readout, 1)
        header.addWidget(load_button)

        self.samples = WrappedRowsTreeWidget()
        self.samples.setHeaderLabels([self.tr("Step"), self.tr("Val loss"), self.tr("Sample text")])
        self.samples.setToolTip(self.tr("What the model writes at each evaluation: watch it go from noise to words."))
        for column in (0, 1):
            self.samples.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.samples.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.samples.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never scroll sideways
        self.samples.setMinimumHeight(SAMPLES_MIN_HEIGHT)

        self.probes_table = WrappedRowsTreeWidget()
        self.probes_table.setHeaderLabels(
            [self.tr("Step"), self.tr("Probe"), self.tr("Loss"), self.tr("Drift"), self.tr("Greedy continuation"),
             self.tr("Next tokens")]
        )
        self.probes_table.setToolTip(self.tr(
            "The probe texts read at each evaluation: their loss, how the model continues them (greedy) and the "
            "five tokens it finds likeliest next. Set them in the form's Probe texts; without them the run probes "
            "the first lines of its validation text."))
        for column in (0, 1, 2, 3):
            self.probes_table.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.probes_table.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.evaluations = QTabWidget()
        self.evaluations.addTab(self.samples, self.tr("Samples"))
        self.evaluations.addTab(self.probes_table, self.tr("Probes"))

        self._plots = plots = QWidget()
        plots_layout = QVBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addLayout(header)
        plots_layout.addWidget(self.curves, 1)
        self._step_marker: pg.InfiniteLine | None = None  # the step the checkpoint scrubber shows
        self._side_by_side: bool | None = None  # the samples beside the plots, or under them; set once sized
        self.splitter = QSplitter()
        self.splitter.addWidget(plots)
        self.splitter.addWidget(self.evaluations)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)  # a child once given 0 would stay collapsed, plots and all
        # Once a tab that draws a heatmap has been opened, the tabs keep its room: a tab bar that moved at each
        # change of tab put the next click into the tab's content instead of on a tab.
        self._heatmap_room = False
        self.evaluations.currentChanged.connect(self._on_tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The samples sit beside the plots when both fit side by side, else under them, at full width."""
        super().resizeEvent(event)
        wide = event.size().width() >= SIDE_BY_SIDE_MIN_WIDTH
        if wide != self._side_by_side:
            self._side_by_side = wide
            self.splitter.setOrientation(Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical)
            if wide:
                width = event.size().width()
                self.splitter.setSizes([width * 3 // 5, width * 2 // 5])
            else:
                # The event's height, not the splitter's: the layout gives the splitter its new size only after
                # this event, and a first sizing from its old height squeezed the plots to nothing.
                self._fit_under_plots(event.size().height())

    def _on_tab_changed(self) -> None:
        if not self._heatmap_room and getattr(self.evaluations.currentWidget(), "needs_room", False):
            self._heatmap_room = True
            self._fit_under_plots()

    def _fit_under_plots(self, height: int | None = None) -> None:
        """Under the plots, the plots keep the height they need to show whole and the samples get the rest;
        once a tab that draws a heatmap (``needs_room``: Checkpoints, Drift) is opened, the tabs take three
        fifths, the plots scroll. ``height``: the splitter's, when it is not its current one yet."""
        if self._side_by_side is not False:
            return
        height = self.splitter.height() if height is None else height
        if self._heatmap_room:
            tabs = height * 3 // 5
        else:
            plots = self._plots.minimumSizeHint().height() - self.curves.minimumSizeHint().height()
            plots += self.curves.unscrolled_height()
            tabs = max(SAMPLES_MIN_HEIGHT, min(height * 2 // 5, height - plots))
        self.splitter.setSizes([height - tabs, tabs])

    def start_run(self, previous_label: str | None) -> None:
        """A new run begins: the current curves become a dimmed overlay named ``previous_label`` (None: the run
        shown is drawn again, and an overlay of it would be the run over itself)."""
        if previous_label is None:
            self.curves.clear()
        else:
            self.curves.keep_as_overlay(previous_label)
        self.samples.clear()
        self.probes_table.clear()
        if self._step_marker is not None:
            self._step_marker.setVisible(False)
        self.readout.setText(self.tr("The validation loss and perplexity appear at the first evaluation."))

    def run_ended(self) -> None:
        """A run that ended before its first evaluation says so, rather than still promise one."""
        if self.curves.latest(self.val_name) is None:  # no validation point on the live curve
            self.readout.setText(self.tr("The run ended before its first evaluation: no validation loss yet."))

    def add_steps(self, events: Sequence[StepEvent]) -> None:
        x = np.array([(event.step, event.tokens_seen, event.elapsed_s) for event in events], dtype=np.float64)  # (N, 3)
        self.curves.extend(self.train_name, x, [event.train_loss for event in events])
        self.curves.extend(self.lr_name, x, [event.lr for event in events])

    def add_eval(self, event: EvalEvent) -> None:
        self.curves.append(self.val_name, (event.step, event.tokens_seen, event.elapsed_s), event.val_loss)
        self.readout.setText(
            self.tr("Step {step}: validation loss {loss:.3f}, perplexity {perplexity:.2f}").format(
                step=event.step, loss=event.val_loss, perplexity=event.perplexity
            )
        )
        x = (event.step, event.tokens_seen, event.elapsed_s)
        if event.head_scores is not None:
            self._add_head_scores(x, event.head_scores)
        self._add_probes(x, event.probes)
        # One wrapped paragraph per sample: the list's rows grow to fit wrapped text, not line breaks.
        if event.sample is None:
            text = self.tr("(stopped before the sample was done)")
        else:
            text = " ⏎ ".join(line for line in event.sample.strip().splitlines() if line.strip())
        item = QTreeWidgetItem([str(event.step), f"{event.val_loss:.3f}", text])
        for column in (0, 1):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
        item.setToolTip(2, literal(event.sample or text))
        self.samples.insertTopLevelItem(0, item)  # newest first

    def show_history(self, history: RunHistory) -> None:
        """Draw a run read back from its folder as if it had been watched: its steps, then each evaluation."""
        if history.steps:
            self.add_steps(history.steps)
        for event in history.evaluations:
            self.add_eval(event)

    def mark_step(self, step: int) -> None:
        """A dashed line on the loss plot at the step the checkpoint scrubber shows."""
        if self._step_marker is None:
            pen = pg.mkPen(SELECTION_COLOR, width=2, style=Qt.PenStyle.DashLine)
            self._step_marker = pg.InfiniteLine(angle=90, pen=pen)
            self.curves.plot("loss").addItem(self._step_marker, ignoreBounds=True)
        self._step_marker.setValue(step if self.curves.x_axis.key == "step" else self._x_of_step(step))
        self._step_marker.setVisible(True)

    def _x_of_step(self, step: int) -> float:
        """Where ``step`` sits on the current x axis (tokens seen or seconds), from the train-loss points."""
        points = self.curves.points(self.train_name)  # (N, x axes + 1): step first, the loss last
        if not len(points):
            return float(step)
        row = min(int(np.searchsorted(points[:, 0], step)), len(points) - 1)
        return float(points[row, self.curves.x_axis_combo.currentIndex()])

    def probe_name(self, probe: int) -> str:
        return self.tr("probe {0} loss").format(probe + 1)

    def _add_probes(self, x: tuple[float, float, float], records: Sequence[ProbeRecord]) -> None:
        """Each probe's loss joins the loss plot; its row (continuation, next tokens) tops the table."""
        for record in records:  # in probe order, so the legend reads probe 1, 2, 3
            name = self.probe_name(record.probe)
            self.curves.add_series(name, plot="loss", symbol="t")
            self.curves.append(name, x, record.loss)
        for record in reversed(records):  # inserted at the top: the first probe ends up first
            top = "  ".join(f"“{visible_text(text)}” {percent(probability, 0)}" for text, probability in record.top)
            drift = f"{max(record.drift):.3f}" if record.drift else "—"
            # The probe's number (its curve's name) and the start of its text: which probe the row reads.
            text = record.text.replace("\n", " ⏎ ")
            named = f"{record.probe + 1} · {text[:PROBE_TEXT_SHOWN]}{'…' if len(text) > PROBE_TEXT_SHOWN else ''}"
            item = QTreeWidgetItem([str(record.step), named, f"{record.loss:.3f}", drift,
                                    record.continuation.replace("\n", " ⏎ "), top])
            item.setToolTip(1, literal(record.text))
            item.setToolTip(3, self.tr("Fine-tuning: the largest KL(base ‖ now) of the next-token distribution over "
                                       "the probe's positions, in nats: where the model moved most from its base."))
            item.setToolTip(4, literal(record.text + record.continuation))
            self.probes_table.insertTopLevelItem(0, item)  # newest first

    def head_name(self, layer: int, head: int) -> str:
        return self.tr("L{0} H{1}").format(layer, head)  # numbered from 0, as on the Attention page

    def _add_head_scores(self, x: tuple[float, float, float], scores: HeadScores) -> None:
        """One line per head under the loss: its induction score at each evaluation. Only the heads
        scoring at least STRONG_HEAD now are named in the legend, so that forty heads stay readable."""
        plot = self.curves.add_plot("heads", self.tr("Induction score per head"), stretch=2)
        # Scores are shares of attention: on a fixed 0-1 scale a forming head rises visibly, and noise
        # around 0.02 is not blown up to fill the plot.
        plot.setYRange(0.0, 1.0, padding=0.02)
        plot.enableAutoRange(y=False)
        for layer, head in np.ndindex(scores.induction.shape):
            name = self.head_name(layer, head)
            self.curves.add_series(name, plot="heads", symbol="o")  # one point per evaluation: a lone one shows too
            self.curves.append(name, x, float(scores.induction[layer, head]))
            item = self.curves.raw_item(name)
            named = plot.legend.getLabel(item) is not None
            if named != (scores.induction[layer, head] >= STRONG_HEAD):
                if named:
                    plot.legend.removeItem(item)
                else:
                    plot.legend.addItem(item, name)

    def load_metrics(self, path: str | Path) -> None:
        """Overlay an earlier run from its metrics.csv, named after its folder."""
        columns = read_metrics_csv(path)
        x = np.column_stack([columns["step"], columns["tokens"], columns["elapsed_s"]])  # (N, 3)
        evaluated = np.isfinite(columns["val_loss"])
        self.curves.add_overlay(
            Path(path).resolve().parent.name,
            {
                self.train_name: np.column_stack([x, columns["train_loss"]]),
                self.val_name: np.column_stack([x[evaluated], columns["val_loss"][evaluated]]),
                self.lr_name: np.column_stack([x, columns["lr"]]),
            },
        )

    def _ask_load_metrics(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose an earlier run's metrics.csv"), "", self.tr("Metrics (metrics.csv *.csv)")
        )
        if not path:
            return
        try:
            self.load_metrics(path)
        except InvalidInputError as error:
            QMessageBox.warning(self, self.tr("Cannot compare"), error_text(error))
