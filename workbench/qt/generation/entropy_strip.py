"""The entropy and surprisal strip under the output: for each generated token of the sequence
shown, the entropy of the raw next-token distribution (how unsure the model was) and the
surprisal of the chosen token (-log p: how unexpected the pick was), both in nats, so the
uncertain places of a long answer stand out. Clicking a point selects its token.

Streamed tokens are buffered and drawn by a 4 Hz throttle (the training curves redraw at 2 Hz).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt import QElidingLabel
from superqt.utils import qthrottled

from workbench.core.sessions import RunSequence, RunToken
from workbench.qt.common.axes import WholeNumberAxis
from workbench.qt.common.theme import SELECTION_COLOR
from workbench.qt.common.throttle import land_when_closed
from workbench.qt.generation.output_view import shown_token

REDRAW_INTERVAL_MS = 250  # 4 Hz: on 2 cores each redraw is time the generation waits
PLOT_HEIGHT = 76  # with the legend line above it, the strip stays about 100 px tall
READOUT_ROOM = 300  # pixels the readout needs beside the legend (a hovered token's numbers)
NARROW_READOUT_LINES = 2  # under the legend: a hovered token's numbers fit in two lines of a ~250-pixel column
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
ENTROPY_COLOR = "#7b1fa2"
SURPRISAL_COLOR = "#ef6c00"


def _finite(values: list[float | None]) -> np.ndarray:
    """Values as floats, with the missing and infinite ones as NaN (left out of the plot and its range)."""
    array = np.array([math.nan if value is None else value for value in values], dtype=np.float64)
    array[~np.isfinite(array)] = math.nan
    return array


class _TokenNumberAxis(WholeNumberAxis):
    """Numbers the tokens from 1, as the readout, the fork popup and the hover do (the points sit at 0, 1, …)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        # Round token numbers (10, 20, …), not round positions (the 11th, 21st, …).
        return [(spacing, [value - 1 for value in values])
                for spacing, values in super().tickValues(minVal + 1, maxVal + 1, size)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return super().tickStrings([value + 1 for value in values], scale, spacing)


class EntropyStrip(QWidget):
    token_clicked = Signal(int, int)  # (sequence, step) of the point clicked

    def __init__(self, parent: QWidget | None = None, readout_below: bool = False) -> None:
        """``readout_below``: the hovered token's readout always has its two lines under the legend (a column
        beside another), so the strip's height is known before it is first laid out; otherwise only when narrow."""
        super().__init__(parent)
        self.readout_below = readout_below
        self.sequences: list[list[RunToken]] = [[]]
        self.shown = 0  # the sequence on screen: the output view's current tab
        self.selected: tuple[int, int] = (-1, -1)
        self.empty_text = self.tr("Drawn as the tokens stream.")  # what an empty strip says; a scoring view: its own
        # Translated outside the f-string: lupdate does not read calls inside one.
        # Short enough for a branch's column beside another on a 1280-pixel screen; the x axis numbers the tokens.
        entropy, surprisal, unit = self.tr("entropy"), self.tr("surprisal"), self.tr("(nats)")
        legend = QLabel(
            f"<span style='color:{ENTROPY_COLOR}'>━ {html.escape(entropy)}</span>&nbsp;&nbsp;"
            f"<span style='color:{SURPRISAL_COLOR}'>● {html.escape(surprisal)}</span>&nbsp;&nbsp;"
            f"{html.escape(unit)}")
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setToolTip(self.tr(
            "Entropy: how spread out the model's raw next-token distribution was (high: unsure). "
            "Surprisal: -log p of the token it chose (high: an unexpected pick). Both in nats, one point per "
            "generated token. Click a point to select its token."))
        self.legend = legend
        self.readout = QElidingLabel()
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.header = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.header.setContentsMargins(0, 0, 0, 0)
        self.header.addWidget(legend)
        self.header.addWidget(self.readout, 1)
        self._place_readout(readout_below)

        self.plot_widget = pg.PlotWidget(axisItems={"bottom": _TokenNumberAxis("bottom")})
        self.plot_widget.setFixedHeight(PLOT_HEIGHT)
        for widget in (self.plot_widget, self.plot_widget.viewport()):  # no key does anything here: no Tab stop
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot_widget.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)  # a click selects a token; the strip always shows them all
        text_color = self.palette().color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTextPen(text_color)
            axis.setPen(text_color)
        self.plot.getAxis("left").setWidth(32)
        self.entropy_curve = self.plot.plot(pen=pg.mkPen(ENTROPY_COLOR, width=1.5), connect="finite", symbolSize=5,
                                            symbolPen=None, symbolBrush=ENTROPY_COLOR)
        self.surprisal_points = self.plot.plot(pen=None, symbol="o", symbolSize=5, symbolPen=None,
                                               symbolBrush=SURPRISAL_COLOR)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(SELECTION_COLOR, width=2))
        self.marker.setVisible(False)
        self.plot.addItem(self.marker, ignoreBounds=True)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.header)
        layout.addWidget(self.plot_widget)

        self._schedule_redraw = qthrottled(self._redraw, timeout=REDRAW_INTERVAL_MS, leading=False, parent=self)
        land_when_closed(self, self._schedule_redraw)
        self._redraw()

    # --- data ------------------------------------------------------------------------

    def begin(self, sequences: int) -> None:
        """Clear for a new generation of ``sequences`` return sequences."""
        self.sequences = [[] for _ in range(max(1, sequences))]
        self.shown = 0
        self._redraw()

    def add_token(self, sequence: int, token: RunToken) -> None:
        if sequence < len(self.sequences):
            self.sequences[sequence].append(token)
            if sequence == self.shown:
                self._schedule_redraw()

    def show_sequences(self, sequences: tuple[RunSequence, ...] | list[RunSequence]) -> None:
        """The final (or restored) sequences replace whatever was streamed."""
        self.sequences = [list(sequence.tokens) for sequence in sequences] or [[]]
        self.shown = min(self.shown, len(self.sequences) - 1)
        self._redraw()

    def show_sequence(self, index: int) -> None:
        """Show sequence ``index`` (the output view's tab)."""
        if 0 <= index < len(self.sequences) and index != self.shown:
            self.shown = index
            self._redraw()

    def select_token(self, sequence: int, step: int) -> None:
        """Mark token ``step`` of ``sequence`` (-1: none)."""
        self.selected = (sequence, step)
        self._place_marker()

    # --- drawing ------------------------------------------------------------------

    @property
    def tokens(self) -> list[RunToken]:
        return self.sequences[self.shown]

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """Entropy and surprisal of each token shown (NaN where unknown)."""
        return _finite([t.entropy for t in self.tokens]), _finite([t.surprisal for t in self.tokens])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        # Narrow (a branch of the side-by-side view), the readout gets two lines of its own under the legend
        # rather than be cut to "Dr…" or "token 12 “the”: entr…"; the height then depends on the width alone,
        # never on what the readout says.
        self._place_readout(self.readout_below or event.size().width() < self.legend.sizeHint().width() + READOUT_ROOM)
        super().resizeEvent(event)

    def _place_readout(self, below: bool) -> None:
        self.header.setDirection(QBoxLayout.Direction.TopToBottom if below else QBoxLayout.Direction.LeftToRight)
        self.readout.setAlignment((Qt.AlignmentFlag.AlignLeft if below else Qt.AlignmentFlag.AlignRight)
                                  | Qt.AlignmentFlag.AlignVCenter)
        self.readout.setWordWrap(below)
        if below:
            margins = self.readout.contentsMargins()
            self.readout.setFixedHeight(
                NARROW_READOUT_LINES * self.readout.fontMetrics().lineSpacing() + margins.top() + margins.bottom())
        else:
            self.readout.setMinimumHeight(0)
            self.readout.setMaximumHeight(QWIDGETSIZE_MAX)

    def _redraw(self) -> None:
        entropy, surprisal = self.values()
        steps = np.arange(len(entropy))
        # A line through one point draws nothing: a one-token answer's entropy is a dot of its colour.
        self.entropy_curve.setSymbol("s" if len(steps) == 1 else None)
        self.entropy_curve.setData(steps, entropy)
        self.surprisal_points.setData(steps, surprisal)
        self.plot.setXRange(-0.5, max(len(steps), 1) - 0.5, padding=0)  # one token: one tick, not a token 2
        finite = np.concatenate([entropy[np.isfinite(entropy)], surprisal[np.isfinite(surprisal)]])
        # From 0, as nats are: a lone point is not drawn on the axis line as the bottom of an autoscale.
        self.plot.setYRange(0, max(float(finite.max()) if finite.size else 0.0, 0.1) * 1.05, padding=0)
        for name in ("left", "bottom"):  # an empty strip has no ticks: there are no tokens to number yet
            self.plot.getAxis(name).setTicks(None if len(steps) else [[], []])
        self._place_marker()
        self.readout.setText(self._idle_text())

    def _idle_text(self) -> str:
        if any(token.entropy is None for token in self.tokens):
            return self.tr("This run was saved without entropies: surprisal only.")
        if not self.tokens:
            return self.empty_text
        return self.tr("Hover a point to read it; click it to select the token.")

    def _place_marker(self) -> None:
        sequence, step = self.selected
        shown = sequence == self.shown and 0 <= step < len(self.tokens)
        self.marker.setVisible(shown)
        if shown:
            self.marker.setValue(step)

    def step_at(self, scene_pos: QPointF) -> int:
        """The token nearest the point under ``scene_pos``, or -1 off the plot."""
        view_box = self.plot.getViewBox()
        if not view_box.sceneBoundingRect().contains(scene_pos) or not self.tokens:
            return -1
        step = round(view_box.mapSceneToView(scene_pos).x())
        return step if 0 <= step < len(self.tokens) else -1

    def readout_text(self, step: int) -> str:
        token = self.tokens[step]
        entropy = self.tr("unknown") if token.entropy is None else f"{token.entropy:.2f}"
        return self.tr("token {0} {1}: entropy {2}, surprisal {3:.2f} nats").format(
            step + 1, shown_token(token), entropy, token.surprisal)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        step = self.step_at(scene_pos)
        self.readout.setText(self.readout_text(step) if step >= 0 else self._idle_text())

    def _on_mouse_clicked(self, event) -> None:
        step = self.step_at(event.scenePos())
        if step >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.token_clicked.emit(self.shown, step)
