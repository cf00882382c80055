"""Where one query position looked: its attention over the keys, averaged over one layer's heads, as bars."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QVBoxLayout, QWidget
from superqt import QElidingLabel

from workbench.qt.attention.heatmap import TokenAxis
from workbench.qt.common.tooltips import literal
from workbench.qt.token.bars import CHOSEN_COLOR


class AttentionRowChart(QWidget):
    """A title, a layer choice, and one bar per key token. Emits ``layer_changed(layer)``."""

    layer_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QElidingLabel()  # one line, so the page fits 768 pixels
        self.layer_spin = QSpinBox()
        self.layer_spin.setPrefix(self.tr("layer "))
        self.layer_spin.setToolTip(self.tr("The layer whose attention is shown, averaged over its heads "
                                           "(0 is the one nearest the input)."))
        self.layer_spin.setEnabled(False)
        self.layer_spin.valueChanged.connect(self.layer_changed)
        self.key_axis = TokenAxis("bottom", rotated=True)
        self.plot = pg.PlotWidget(axisItems={"bottom": self.key_axis}, background="w")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMinimumHeight(120)  # the page must fit 768 pixels: the bars give way first
        self.plot.getAxis("left").setLabel(self.tr("weight"))
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(CHOSEN_COLOR), pen=None)
        self.plot.addItem(self.bars)
        self.weights = np.zeros(0, dtype=np.float32)  # (keys,) of the row shown
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.layer_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)

    def set_layers(self, count: int) -> None:
        """A capture with ``count`` layers: the last one is shown until another is chosen."""
        fresh = not self.layer_spin.isEnabled() or self.layer_spin.maximum() != count - 1
        self.layer_spin.blockSignals(True)
        self.layer_spin.setRange(0, count - 1)
        if fresh:
            self.layer_spin.setValue(count - 1)
        self.layer_spin.blockSignals(False)
        self.layer_spin.setEnabled(True)

    def show_row(self, title: str, key_labels: Sequence[str], weights: np.ndarray) -> None:
        """``weights`` (keys,): the query's attention over ``key_labels``."""
        self.title.setText(title)
        self.title.setToolTip(literal(title))
        self.weights = weights
        self.key_axis.set_labels(key_labels)
        self.key_axis.set_marked(int(np.argmax(weights)) if weights.size else -1, -1)
        self.bars.setOpts(x=np.arange(len(weights)), height=weights, width=0.8)
        self.plot.setXRange(-0.5, len(weights) - 0.5, padding=0)
        self.plot.setYRange(0, max(float(weights.max(initial=0.0)), 1e-6) * 1.05, padding=0)
        self.plot.setVisible(True)

    def clear(self, message: str) -> None:
        """No row: ``message`` says why (or what is being done to get one)."""
        self.title.setText(message)
        self.title.setToolTip(literal(message))
        self.weights = np.zeros(0, dtype=np.float32)
        self.key_axis.set_labels([])
        self.bars.setOpts(x=[], height=[])
        self.plot.setVisible(False)
