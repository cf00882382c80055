"""The attention heatmap: an ImageItem with token labels on both axes and a colour bar.

Follows pyqtgraph's MatrixDisplayExample: row-major image shifted half a cell so cell
(row, column) sits on integer ticks, y inverted so the first query is on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFontMetricsF, QPainter

LOG_FLOOR = 1e-4  # weights below this share the darkest colour on the log scale
LABEL_CHARS = 14  # longer token labels are elided on the axes
COLOR_MAPS = ("viridis", "inferno", "magma", "plasma", "cividis", "CET-L17")
_NICE_STRIDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def elide(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


class TokenAxis(pg.AxisItem):
    """An axis whose ticks are token labels. It labels as many tokens as fit (every one when
    zoomed in, every 2nd, 5th, 10th... when not). ``rotated`` draws labels vertically, so a
    horizontal axis can label one token per text line instead of one per word width."""

    def __init__(self, orientation: str, rotated: bool = False) -> None:
        super().__init__(orientation)
        self.labels: tuple[str, ...] = ()
        self.rotated = rotated

    def set_labels(self, labels: Sequence[str]) -> None:
        self.labels = tuple(elide(label) for label in labels)
        if self.rotated:
            metrics = QFontMetricsF(self.font())
            width = max((metrics.horizontalAdvance(label) for label in self.labels), default=20)
            self.setHeight(int(width) + 14)
        self.picture = None
        self.update()

    def _line_height(self) -> float:
        return QFontMetricsF(self.font()).height()

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph's name)
        if not self.labels or size <= 0:
            return []
        minVal, maxVal = sorted((minVal, maxVal))  # an inverted view (queries top-down) passes them reversed
        first, last = max(0, math.ceil(minVal)), min(len(self.labels) - 1, math.floor(maxVal))
        pixels_per_token = size / max(maxVal - minVal, 1e-9)
        needed = self._line_height() * 1.05 if (self.rotated or self.orientation in ("left", "right")) else 60
        stride = next((s for s in _NICE_STRIDES if s * pixels_per_token >= needed), _NICE_STRIDES[-1])
        start = math.ceil(first / stride) * stride
        return [(stride, list(range(start, last + 1, stride)))]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [self.labels[int(v)] if 0 <= int(v) < len(self.labels) else "" for v in values]

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs):  # noqa: N802
        if not self.rotated:
            super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
            return
        super().drawPicture(p, axisSpec, tickSpecs, [])
        low, high = self.range
        width = self.boundingRect().width()
        line = self._line_height()
        p.setFont(self.font())
        p.setPen(self.textPen())
        for _, start, _ in tickSpecs:
            index = round(low + start.x() * (high - low) / max(width, 1e-9))  # pixel back to token index
            if not 0 <= index < len(self.labels):
                continue
            p.save()
            p.translate(start.x(), 6)
            p.rotate(-90)
            # After rotating, "left" runs down the axis: right-align so labels end at the plot.
            p.drawText(QRectF(-self.height(), -line / 2, self.height() - 2, line),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), self.labels[index])
            p.restore()


@lru_cache(maxsize=4)
def _upper_triangle(rows: int, columns: int) -> np.ndarray:
    return np.triu(np.ones((rows, columns), dtype=bool), k=1)


@dataclass(frozen=True)
class DisplayOptions:
    causal: bool = False  # leave the masked upper triangle empty
    hide_sink: bool = False  # blank the first key column, which often soaks up most attention
    log_scale: bool = False


def display_values(matrix: np.ndarray, options: DisplayOptions) -> tuple[np.ndarray, tuple[float, float]]:
    """The (Tq, Tk) image to draw (NaN = empty cell) and its colour levels."""
    values = np.array(matrix, dtype=np.float32, copy=True)
    if options.causal:
        values[_upper_triangle(*values.shape)] = np.nan
    if options.hide_sink and values.shape[1] > 1:
        values[:, 0] = np.nan
    finite_max = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    if options.log_scale:
        np.log10(np.maximum(values, LOG_FLOOR), out=values)  # NaN stays NaN
        return values, (math.log10(LOG_FLOOR), math.log10(max(finite_max, LOG_FLOOR * 10)))
    return values, (0.0, max(finite_max, 1e-6))


class AttentionHeatmap(pg.GraphicsLayoutWidget):
    """Shows one (queries × keys) matrix. Emits ``hovered(row, column)`` (-1, -1 when off the
    image) and ``query_clicked(row)``."""

    hovered = Signal(int, int)
    query_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.left_axis = TokenAxis("left")
        self.bottom_axis = TokenAxis("bottom", rotated=True)
        for axis in (self.left_axis, self.bottom_axis):
            axis.setTextPen("k")
            axis.setPen("k")
        self.plot = self.addPlot(axisItems={"left": self.left_axis, "bottom": self.bottom_axis})
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.getViewBox().setBackgroundColor("#f3f3f3")  # empty (masked) cells show as light grey
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=14,
                                         colorMapMenu=False)
        self.color_bar.axis.setTextPen("k")
        self.color_bar.setImageItem(self.image, insert_in=self.plot)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.options = DisplayOptions()
        self.query_labels: tuple[str, ...] = ()
        self.key_labels: tuple[str, ...] = ()
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    def set_tokens(self, query_labels: Sequence[str], key_labels: Sequence[str]) -> None:
        """New token sequences (a new capture): axes relabelled and the view reset."""
        self.query_labels, self.key_labels = tuple(query_labels), tuple(key_labels)
        self.left_axis.set_labels(self.query_labels)
        self.bottom_axis.set_labels(self.key_labels)
        self.plot.setLimits(xMin=-0.5, xMax=len(key_labels) - 0.5, yMin=-0.5, yMax=len(query_labels) - 0.5)
        self.plot.setRange(xRange=(-0.5, len(key_labels) - 0.5), yRange=(-0.5, len(query_labels) - 0.5), padding=0)

    def set_matrix(self, matrix: np.ndarray, options: DisplayOptions = DisplayOptions()) -> None:
        """Show ``matrix`` (raw weights, kept for hover and export) drawn with ``options``."""
        self.matrix, self.options = matrix, options
        values, levels = display_values(matrix, options)
        rows, columns = values.shape
        self.image.setImage(values, autoLevels=False, levels=levels)
        self.image.setRect(QRectF(-0.5, -0.5, columns, rows))
        self.color_bar.setLevels(levels)
        self.color_bar.axis.setLabel("log₁₀ weight" if options.log_scale else "weight", color="k")

    def set_color_map(self, name: str) -> None:
        self.color_bar.setColorMap(pg.colormap.get(name))

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.getViewBox().mapSceneToView(scene_pos)
        row, column = math.floor(point.y() + 0.5), math.floor(point.x() + 0.5)
        if 0 <= row < self.matrix.shape[0] and 0 <= column < self.matrix.shape[1]:
            return row, column
        return None

    def hover_text(self, row: int, column: int) -> str:
        masked = self.options.causal and column > row
        shown = "masked (a token cannot see later tokens)" if masked else f"{self.matrix[row, column]:.4f}"
        return f"{self.query_labels[row]} → {self.key_labels[column]}: {shown}"

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        cell = self.cell_at(scene_pos)
        self.hovered.emit(*(cell or (-1, -1)))

    def _on_mouse_clicked(self, event) -> None:
        cell = self.cell_at(event.scenePos())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.query_clicked.emit(cell[0])

    def save_png(self, path: Path) -> None:
        if not self.grab().save(str(path), "PNG"):
            from workbench.core.errors import WorkbenchError

            raise WorkbenchError(f"Could not write the image {path}: check the folder exists and is writable.")
