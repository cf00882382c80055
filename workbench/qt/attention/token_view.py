"""Where one query token looks: its attention over the keys as bars and as highlighted text."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QScrollArea, QToolTip, QVBoxLayout, QWidget

from workbench.core.attention_tokens import elide
from workbench.qt.attention.heatmap import TokenAxis

_HIGHLIGHT = (255, 140, 0)  # orange reads well over black text at any strength
_PAD = 2  # pixels of background on each side of a token
BARS_MIN_HEIGHT = 140  # pixels of bars, not counting the token axis, so the chart never collapses to a line
LABELLED_BARS = 3  # the strongest bars carry their token's text: the axis may skip them


def _running_text(label: str) -> str:
    """A token label as it reads in running text: the visible-space marker back to a space."""
    return label.replace("␣", " ")


class TokenStrip(QWidget):
    """The tokens as wrapped text, each on a background as strong as its weight. Painted by
    hand rather than as HTML: re-colouring 1,000 tokens must take a few milliseconds, and
    QTextBrowser re-lays out the whole document on every change (~25 ms at 512 tokens)."""

    token_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.texts: tuple[str, ...] = ()
        self.special: tuple[bool, ...] = ()
        self.strength = np.zeros(0, dtype=np.float32)  # 0..1 per token
        self.weights = np.zeros(0, dtype=np.float32)
        self.first_hidden = False
        self.query = -1
        self.rects: list[QRect] = []
        self._bottoms = np.zeros(0)  # bottom edge of each token, for finding the visible ones fast
        self._laid_out_width = -1
        self._special_font = QFont(self.font())
        self._special_font.setItalic(True)
        self.setMouseTracking(True)

    def set_tokens(self, labels: Sequence[str], special: Sequence[bool]) -> None:
        self.texts, self.special = tuple(_running_text(label) for label in labels), tuple(special)
        self.weights = self.strength = np.zeros(len(labels), dtype=np.float32)
        self.query = -1
        self._layout(force=True)

    def set_weights(self, query: int, weights: np.ndarray, hide_first: bool = False) -> None:
        """``weights``: the query's true row, which the tooltips show; ``hide_first`` leaves the first token
        uncoloured (Hide first token), so the others' colours are not all faint beside a sink."""
        self.query, self.weights, self.first_hidden = query, weights, hide_first
        coloured = np.concatenate([[0.0], weights[1:]]) if hide_first and len(weights) else weights
        self.strength = coloured / max(float(coloured.max(initial=0.0)), 1e-9)
        self.update()

    def _layout(self, force: bool = False) -> None:
        width = max(self.width(), 100)
        if width == self._laid_out_width and not force:
            return
        self._laid_out_width = width
        metrics = QFontMetrics(self.font())
        line = metrics.height() + 6
        x, y, self.rects = 0, 0, []
        for text in self.texts:
            advance = metrics.horizontalAdvance(text.replace("↵", "↵ ")) + 2 * _PAD
            if x > 0 and x + advance > width:
                x, y = 0, y + line
            self.rects.append(QRect(x, y + 3, advance, metrics.height()))
            x += advance
            if text.endswith("↵"):  # a newline token ends the line, as in the text
                x, y = 0, y + line
        self._bottoms = np.array([rect.bottom() for rect in self.rects])
        self.setMinimumHeight(y + line)
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._layout()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor("white"))
        area = event.rect()
        first = int(np.searchsorted(self._bottoms, area.top()))  # tokens are laid out top to bottom
        for index in range(first, len(self.rects)):
            rect = self.rects[index]
            if rect.top() > area.bottom():
                break
            alpha = int(255 * float(self.strength[index])) if self.query >= 0 else 0
            painter.fillRect(rect, QColor(*_HIGHLIGHT, alpha))
            painter.setFont(self._special_font if self.special[index] else self.font())
            painter.setPen(QColor("#777777") if self.special[index] else QColor("black"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.texts[index])
            if index == self.query:
                painter.setPen(QPen(QColor("#1565c0"), 2))
                painter.drawRect(rect.adjusted(0, 0, -1, -1))

    def token_at(self, point: QPoint) -> int:
        return next((index for index, rect in enumerate(self.rects) if rect.contains(point)), -1)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self.token_at(event.position().toPoint())
        if index >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.token_clicked.emit(index)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.token_at(event.pos())
            if index >= 0:
                weight = f": {self.weights[index]:.4f}" if self.query >= 0 else ""
                if weight and index == 0 and self.first_hidden:
                    weight += " " + self.tr("(hidden from the bars and colours)")
                QToolTip.showText(event.globalPos(), f"{self.texts[index]!r}{weight}", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class TokenView(QWidget):
    """Emits ``token_clicked(index)`` when a token in the text is clicked."""

    token_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Click a query token (a heatmap row or a word below)."))
        self.title.setWordWrap(True)
        self.strip = TokenStrip()
        self.strip.setToolTip(
            self.tr(
                "The text, coloured by how much the chosen token attends to each token. "
                "Click a token to choose it."
            )
        )
        self.strip.token_clicked.connect(self.token_clicked)
        strip_scroll = QScrollArea()
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setWidget(self.strip)
        self.key_axis = TokenAxis("bottom", rotated=True)
        self.bars_plot = pg.PlotWidget(axisItems={"bottom": self.key_axis}, background="w")
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.hideButtons()
        self.bars_plot.setMouseEnabled(y=False)
        self.bars_plot.getAxis("left").setLabel(self.tr("weight"))
        self.bars_plot.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(*_HIGHLIGHT), pen=None)
        self.bars_plot.addItem(self.bars)
        self.bars_plot.getViewBox().setMinimumHeight(BARS_MIN_HEIGHT)
        self.bars_plot.getViewBox().sigResized.connect(self._place_labels)
        # Room above the view for the top tick's label, which is centred on the view's top edge (else cut in half).
        self.bars_plot.getPlotItem().setContentsMargins(0, self.fontMetrics().height() // 2 + 2, 0, 0)
        self.bar_labels = [pg.TextItem(color="k", anchor=(0.5, 1.0)) for _ in range(LABELLED_BARS)]
        for label in self.bar_labels:
            label.setVisible(False)
            self.bars_plot.addItem(label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.bars_plot, 3)
        layout.addWidget(strip_scroll, 2)
        self.query_labels: tuple[str, ...] = ()
        self.key_labels: tuple[str, ...] = ()
        self.weights = np.zeros(0, dtype=np.float32)
        self.query = -1

    def set_tokens(self, query_labels: Sequence[str], key_labels: Sequence[str], key_special: Sequence[bool]) -> None:
        self.query_labels = tuple(query_labels)
        self.key_axis.set_labels(key_labels)
        self.bars_plot.setLimits(xMin=-0.5, xMax=len(key_labels) - 0.5)
        self.bars_plot.setXRange(-0.5, len(key_labels) - 0.5, padding=0)
        # The bars' own minimum, plus the token axis sized for this capture's labels and the margins.
        plot_item = self.bars_plot.getPlotItem()
        plot_item.layout.invalidate()
        self.bars_plot.setMinimumHeight(math.ceil(plot_item.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()))
        self.key_labels = tuple(key_labels)
        self.strip.set_tokens(key_labels, key_special)
        self.query = -1
        self.weights = np.zeros(len(key_labels), dtype=np.float32)
        self.bars.setOpts(x=np.arange(len(key_labels)), height=self.weights, width=0.8)
        self.bars_plot.setYRange(0, 1, padding=0.02)  # weights, before a query is chosen: not -0.4 to 0.4
        for label in self.bar_labels:
            label.setVisible(False)

    def show_query(self, query: int, weights: np.ndarray, hide_first: bool = False) -> None:
        """``weights`` is the query's row of the current matrix; ``hide_first`` leaves the first token's bar out
        (its tooltip in the text still says its weight)."""
        weights = weights.astype(np.float32)
        self.query, self.weights = query, weights.copy()
        if hide_first and len(weights):
            self.weights[0] = 0.0
        self.bars.setOpts(height=self.weights)
        peak = max(float(self.weights.max(initial=0.0)), 1e-6)
        self.bars_plot.setYRange(0, peak * 1.15, padding=0.02)  # headroom for the labels of the strongest bars
        self._place_labels()
        self.title.setText(self.tr("Where “{0}” (position {1}) looks").format(self.query_labels[query], query))
        self.strip.set_weights(query, weights, hide_first)

    def _place_labels(self) -> None:
        """The strongest bars' tokens over them, each where it runs into no stronger one's; again as the chart's
        size changes (the page may still be laid out when a query comes)."""
        if self.query < 0:
            return
        strongest = np.argsort(-self.weights, kind="stable")[:LABELLED_BARS]
        placed: list[tuple[float, float, float, float]] = []  # (left, right, bottom, top) in data units
        x_per_pixel, y_per_pixel = self.bars_plot.getViewBox().viewPixelSize()
        for label, key in zip(self.bar_labels, strongest):
            text = elide(self.key_labels[key])  # as the axis writes it, so the two can be matched
            label.setText(text)
            label.setPos(float(key), float(self.weights[key]))
            # Centred in the middle, flush left at the first key and flush right at the last: never cut by an edge.
            anchor = float(key) / max(len(self.weights) - 1, 1)
            label.setAnchor((anchor, 1.0))
            metrics = QFontMetrics(label.textItem.font())
            gap = metrics.horizontalAdvance("  ")  # two spaces between neighbours, as words have one
            width, height = (metrics.horizontalAdvance(text) + gap) * x_per_pixel, (metrics.height() + 4) * y_per_pixel
            box = (key - anchor * width, key + (1 - anchor) * width, float(self.weights[key]),
                   float(self.weights[key]) + height)
            # A weaker bar's label that would run into a stronger one's (neighbouring peaks) is left to the axis.
            clear = not any(box[0] < other[1] and other[0] < box[1] and box[2] < other[3] and other[2] < box[3]
                            for other in placed)
            label.setVisible(bool(self.weights[key] > 0) and clear)
            if label.isVisible():
                placed.append(box)
