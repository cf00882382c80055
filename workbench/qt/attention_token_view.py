"""Where one query token looks: its attention over the keys as bars and as highlighted text."""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from workbench.qt.attention_heatmap import TokenAxis

_HIGHLIGHT = (255, 140, 0)  # orange reads well over black text at any strength


def _strip_text(label: str) -> str:
    """A token label as it reads in running text: visible-whitespace markers back to spaces/lines."""
    return html.escape(label.replace("␣", " ")).replace("↵", "↵<br>")


class TokenView(QWidget):
    """Emits ``token_clicked(index)`` when a token in the text is clicked."""

    token_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Click a query token (a heatmap row or a word below)."))
        self.title.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setToolTip(self.tr("The text, coloured by how much the chosen token attends to each token. Click a token to choose it."))
        self.text.anchorClicked.connect(self._on_anchor)
        self.key_axis = TokenAxis("bottom", rotated=True)
        self.bars_plot = pg.PlotWidget(axisItems={"bottom": self.key_axis}, background="w")
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.hideButtons()
        self.bars_plot.setMouseEnabled(y=False)
        self.bars_plot.getAxis("left").setLabel(self.tr("weight"))
        self.bars_plot.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(*_HIGHLIGHT))
        self.bars_plot.addItem(self.bars)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.bars_plot, 3)
        layout.addWidget(self.text, 2)
        self.query_labels: tuple[str, ...] = ()
        self.key_labels: tuple[str, ...] = ()
        self.special: tuple[bool, ...] = ()
        self.weights = np.zeros(0, dtype=np.float32)
        self.query = -1

    def set_tokens(self, query_labels: Sequence[str], key_labels: Sequence[str], key_special: Sequence[bool]) -> None:
        self.query_labels, self.key_labels, self.special = tuple(query_labels), tuple(key_labels), tuple(key_special)
        self.key_axis.set_labels(self.key_labels)
        self.bars_plot.setLimits(xMin=-0.5, xMax=len(key_labels) - 0.5)
        self.bars_plot.setXRange(-0.5, len(key_labels) - 0.5, padding=0)
        self.query = -1
        self.weights = np.zeros(len(key_labels), dtype=np.float32)
        self._redraw()

    def show_query(self, query: int, weights: np.ndarray) -> None:
        """``weights`` is the query's row of the current matrix (NaN where masked)."""
        self.query, self.weights = query, np.nan_to_num(weights.astype(np.float32), nan=0.0)
        self._redraw()

    def _redraw(self) -> None:
        positions = np.arange(len(self.weights))
        self.bars.setOpts(x=positions, height=self.weights, width=0.8)
        self.bars_plot.setYRange(0, max(float(self.weights.max(initial=0.0)), 1e-6), padding=0.05)
        if self.query >= 0:
            self.title.setText(self.tr("Where “{0}” (token {1}) looks").format(self.query_labels[self.query], self.query))
        self.text.setHtml(self._html())

    def _html(self) -> str:
        peak = max(float(self.weights.max(initial=0.0)), 1e-9)
        spans = []
        for index, label in enumerate(self.key_labels):
            alpha = float(self.weights[index]) / peak if self.query >= 0 else 0.0
            style = f"background-color: rgba({_HIGHLIGHT[0]},{_HIGHLIGHT[1]},{_HIGHLIGHT[2]},{alpha:.2f});"
            if index == self.query:
                style += "border: 1px solid #1565c0; color: #1565c0; font-weight: bold;"
            if self.special[index]:
                style += "color: #777; font-style: italic;"
            title = f"{html.escape(label)}: {self.weights[index]:.4f}" if self.query >= 0 else html.escape(label)
            spans.append(f'<a href="token:{index}" title="{title}" style="text-decoration: none; color: black;">'
                         f'<span style="{style}">{_strip_text(label)}</span></a>')
        return f'<div style="font-size: 13px; line-height: 150%;">{"&#8203;".join(spans)}</div>'

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("token:"):
            self.token_clicked.emit(int(text.split(":", 1)[1]))
