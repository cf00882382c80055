"""The logit-lens grid: layers down (the embeddings on top), positions across, one coloured cell each.

Drawn as the attention heatmap is (an ImageItem shifted half a cell, token labels on the
axes), but cells are not square: a text has many more positions than a model has layers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal

from workbench.qt.attention.heatmap import TokenImage


class LensGrid(TokenImage):
    """Emits ``hovered(layer, column)`` ((-1, -1) off the grid) and ``column_clicked(column)``."""

    hovered = Signal(int, int)
    column_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot.setMouseEnabled(x=True, y=False)  # long texts zoom and pan across; every layer stays in view
        self.column_box = self.add_selection_box()
        self.left_axis.pinned = frozenset({0})  # the embeddings row; thinned, the layers read 0, 2, 4… as numbered
        self.left_axis.stride_origin = 1
        self.values = np.zeros((0, 0), dtype=np.float32)  # (layers, columns) as drawn
        self.selected_column = -1

    def set_labels(self, layer_labels: Sequence[str], column_labels: Sequence[str]) -> None:
        self.left_axis.set_labels(layer_labels)
        self.bottom_axis.set_labels(column_labels)
        self.plot.setLimits(xMin=-0.5, xMax=max(len(column_labels), 1) - 0.5)
        self.plot.setRange(xRange=(-0.5, len(column_labels) - 0.5), yRange=(-0.5, len(layer_labels) - 0.5),
                           padding=0)
        self.select_column(-1)

    def set_values(self, values: np.ndarray, levels: tuple[float, float], color_map: pg.ColorMap, label: str) -> None:
        """``values`` (layers, columns), coloured from ``levels[0]`` to ``levels[1]``."""
        self.values = values
        self.image.setImage(values, autoLevels=False, levels=levels)
        self.image.setRect(QRectF(-0.5, -0.5, values.shape[1], values.shape[0]))
        self.color_bar.setColorMap(color_map)
        self.color_bar.setLevels(levels)
        if self.color_bar.axis.labelText != label:
            self.color_bar.axis.setLabel(label, color="k")

    def clear_grid(self) -> None:
        self.values = np.zeros((0, 0), dtype=np.float32)
        self.image.clear()
        self.set_labels([], [])

    def select_column(self, column: int) -> None:
        """Outline ``column`` and always label it (-1: none)."""
        self.selected_column = column
        layers, columns = self.values.shape if self.values.size else (len(self.left_axis.labels), 0)
        self.column_box.setVisible(0 <= column < columns)
        self.column_box.setRect(QRectF(column - 0.5, -0.5, 1, layers))
        self.bottom_axis.set_marked(column, self.bottom_axis.hovered)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        layer, column = self.cell_at(scene_pos) or (-1, -1)
        self.left_axis.set_marked(-1, layer)
        self.bottom_axis.set_marked(self.selected_column, column)
        self.hovered.emit(layer, column)

    def _step_selection(self, step: int) -> bool:
        # The last column is the model's guess after the text, not a token of it: the keys stop before it.
        tokens = self.values.shape[1] - 1 if self.values.size else 0
        if tokens <= 0:
            return False
        self.column_clicked.emit(self._stepped(self.selected_column, step, tokens))
        return True

    def _on_mouse_clicked(self, event) -> None:
        cell = self.cell_at(event.scenePos())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.column_clicked.emit(cell[1])
