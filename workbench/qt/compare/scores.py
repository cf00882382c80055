"""What the Compare page shows once every answer is scored: the scored-by-each-model matrix and the
strips of where two models disagree on the reference answer."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidgetItem, QWidget

from workbench.core.comparison import BITS_PER_BYTE, Comparison, Disagreement
from workbench.qt.common.axes import WholeNumberAxis
from workbench.qt.common.empty_hint import HintedTableWidget
from workbench.qt.common.language import error_text
from workbench.qt.common.theme import probability_background
from workbench.qt.common.tooltips import literal

STRIP_HEIGHT = 100  # a strip's title, two ticks of plot and its axis; more strips scroll
ROW_NAMES_MIN_WIDTH = 120  # pixels the matrix's row names keep, however many answers
_REFERENCE_PEN = pg.mkPen((90, 90, 90), width=1)
_OTHER_BRUSH = (215, 95, 40, 150)


class ScoreMatrix(HintedTableWidget):
    """Cell (i, j): column j's answer under column i's model; greener is likelier (for that model)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # The answers share the width, never below a figure's: six columns scroll rather than read "-2…".
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        self.set_empty_hint(self.tr("After a run: each answer scored under every column's model."))

    def show_matrix(self, comparison: Comparison, titles: list[str], names: list[str], metric: str) -> None:
        """``titles``: the columns' numbers; ``names``: their models'."""
        values = comparison.matrix(metric)  # (n, n)
        unit = self.tr("bits per byte") if metric == BITS_PER_BYTE else self.tr("nats per token")
        self.clear()
        self.setRowCount(len(titles))
        self.setColumnCount(len(titles))
        headers = [self.tr("answer {0}").format(title) for title in titles]
        self.setHorizontalHeaderLabels(headers)
        metrics = self.horizontalHeader().fontMetrics()
        self.horizontalHeader().setMinimumSectionSize(
            max(metrics.horizontalAdvance(text) for text in [*headers, "-00.000"]) + 2 * metrics.averageCharWidth())
        for row, (title, name) in enumerate(zip(titles, names)):
            label = self.tr("scored by {0} · {1}").format(title, name)
            item = QTableWidgetItem(label)
            item.setToolTip(literal(label))
            self.setVerticalHeaderItem(row, item)
        self._fit_row_names()
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                scored = math.isfinite(value)
                item = QTableWidgetItem(f"{value:.3f}" if scored else "–")
                problem = comparison.problem(i, j)
                item.setToolTip(self.tr("Answer {0} under the model of column {1} ({2}): {3} {4}").format(
                    titles[j], titles[i], names[i], f"{value:.4f}", unit) if scored else self.tr(
                    "Answer {0} is not scored by the model of column {1} ({2}): {3}").format(
                    titles[j], titles[i], names[i], error_text(problem) if problem else self.tr("no score")))
                if scored:
                    likely = (value - low) / (high - low) if high > low else 1.0
                    if metric == BITS_PER_BYTE:
                        likely = 1.0 - likely  # fewer bits: the model found the answer likelier
                    item.setBackground(probability_background(self.palette(), likely))
                self.setItem(i, j, item)


    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_row_names()

    def _fit_row_names(self) -> None:
        """The row names take what the answers' figures leave; a long model name then ends in "…" (whole in its
        tooltip) rather than push the figures out of view."""
        figures = self.columnCount() * self.horizontalHeader().minimumSectionSize()
        room = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width() - figures
        self.verticalHeader().setMaximumWidth(max(ROW_NAMES_MIN_WIDTH, room))


def first_number(strip: Disagreement) -> int:
    """What a person calls value 0 of ``strip``: counted from 1 as the other strips count tokens, a KL
    strip starts at the answer's 2nd token (the first is predicted by nothing in the answer)."""
    return 2 if strip.per_token else 1


class _ScrollingViewBox(pg.ViewBox):
    """A strip's view: the wheel scrolls the strips (they sit in a scroll area), Ctrl+wheel zooms along the text."""

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph's name)
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
        else:
            ev.ignore()


class DisagreementStrips(pg.GraphicsLayoutWidget):
    """One strip per other column, across the reference answer. Emits ``hovered(strip, x)``
    ((-1, -1) off the strips): x is a token position (KL) or a character (surprisal)."""

    hovered = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.strips: list[Disagreement] = []
        self._plots: list[pg.PlotItem] = []
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.show_strips([], [], [])

    def show_strips(self, strips: list[Disagreement], titles: list[str], units: list[str],
                    empty_text: str = "") -> None:
        """``empty_text``: what the box says when there is no strip (before a run: what will be here)."""
        self.clear()
        self.strips, self._plots = strips, []
        if not strips:  # not a blank box
            self.addLabel(empty_text or self.tr("After a run: where each answer's model parts from the reference, "
                                                "along its text."), color="#666666")
        first_of_kind: dict[bool, pg.PlotItem] = {}  # token positions and characters are different axes
        for row, (strip, title, unit) in enumerate(zip(strips, titles, units)):
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": WholeNumberAxis("bottom")},
                                viewBox=_ScrollingViewBox())
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=True, y=False)
            plot.setLabel("left", unit)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.setTitle(title, size="9pt")
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen("k")
                plot.getAxis(axis).setPen("k")
            edges = np.arange(len(strip.values) + 1) + first_number(strip) - 0.5  # value i centred on its number
            # Positions nothing scored (the first token's characters) are drawn at 0 and named on hover.
            plot.plot(edges, np.nan_to_num(strip.values), stepMode="center", fillLevel=0, brush=_OTHER_BRUSH,
                      pen=pg.mkPen(_OTHER_BRUSH[:3]))
            if strip.reference_values is not None:
                plot.plot(edges, np.nan_to_num(strip.reference_values), stepMode="center", pen=_REFERENCE_PEN)
            finite = strip.values[np.isfinite(strip.values)]
            if strip.reference_values is not None:
                finite = np.concatenate([finite, strip.reference_values[np.isfinite(strip.reference_values)]])
            highest = float(finite.max()) if finite.size else 0.0
            plot.setYRange(0, max(highest, 0.01))  # all zero (the same model): a flat strip
            # 0 and the highest value only: in a strip's height more ticks drew over each other ("0.010" on
            # "0.005"); a flat strip's range is no value of the models', so it is not labelled.
            plot.getAxis("left").setTicks([[(0.0, "0"), (highest, f"{highest:.3g}")] if highest > 0 else [(0.0, "0")]])
            if strip.per_token in first_of_kind:
                plot.setXLink(first_of_kind[strip.per_token])
            first_of_kind.setdefault(strip.per_token, plot)
            self._plots.append(plot)
        for plot in self._plots:
            plot.setMinimumHeight(STRIP_HEIGHT)
        # The widget asks for its strips' height, margins and spacing included: in the page's scroll area they
        # scroll, never squash, and the last one's axis can be scrolled to.
        self.setMinimumHeight(math.ceil(self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()) if strips else 0)

    def _on_mouse_moved(self, position: QPointF) -> None:
        for index, plot in enumerate(self._plots):
            if plot.sceneBoundingRect().contains(position):
                x = math.floor(plot.vb.mapSceneToView(position).x() + 0.5) - first_number(self.strips[index])
                if 0 <= x < len(self.strips[index].values):
                    self.hovered.emit(index, x)
                    return
        self.hovered.emit(-1, -1)
