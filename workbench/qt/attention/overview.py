"""The model overview: a layers × heads grid of small heatmaps, like bertviz's model view.

SmolLM2 has 270 heads, so thumbnails (at most 64×64, block means of the full matrix) are
made only when their cell is first painted, i.e. when it scrolls into view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from workbench.core.attention import AttentionMap

THUMBNAIL = 64
_GAP = 6
_LEFT = 34  # room for "L12"
_TOP = 18  # room for "H3"
_FRAME = 4  # a scored head's frame, drawn in the gap around its thumbnail
_BLOCK_GAP = 24  # between blocks of layers laid side by side


def _block_sums(values: np.ndarray, size: int) -> np.ndarray:
    """Sum of each block when ``values`` (R, C) is cut into at most size × size blocks."""
    rows, columns = values.shape
    row_starts = np.unique(np.linspace(0, rows, min(rows, size) + 1).astype(int))[:-1]
    column_starts = np.unique(np.linspace(0, columns, min(columns, size) + 1).astype(int))[:-1]
    return np.add.reduceat(np.add.reduceat(values, row_starts, axis=0), column_starts, axis=1)


def thumbnail_values(matrix: np.ndarray, causal: bool, hide_sink: bool = False, size: int = THUMBNAIL) -> np.ndarray:
    """(≤size, ≤size) block means on a square-root scale of the matrix's own maximum, so weak
    patterns still show at thumbnail size; NaN where a block is all masked or hidden."""
    visible = ~np.triu(np.ones(matrix.shape, dtype=bool), k=1) if causal else np.ones(matrix.shape, dtype=bool)
    if hide_sink and matrix.shape[1] > 1:
        visible[:, 0] = False
    sums = _block_sums(np.where(visible, matrix, 0.0).astype(np.float32), size)
    counts = _block_sums(visible.astype(np.float32), size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts  # (h, w); 0/0 = NaN for masked blocks
    peak = np.nanmax(means) if np.isfinite(means).any() else 1.0
    return np.sqrt(means / max(float(peak), 1e-9))


def _to_image(values: np.ndarray, lookup: np.ndarray) -> QImage:
    rows, columns = values.shape
    rgba = np.zeros((rows, columns, 4), dtype=np.uint8)
    finite = np.isfinite(values)
    indices = (np.clip(np.nan_to_num(values), 0, 1) * (len(lookup) - 1)).astype(int)
    rgba[..., :3] = lookup[indices]
    rgba[..., 3] = np.where(finite, 255, 0)
    return QImage(rgba.data, columns, rows, columns * 4, QImage.Format.Format_RGBA8888).copy()


def score_color(score: float) -> QColor:
    """Light grey at 0 to strong red at 1: a faint frame for an idle head, a bold one for a specialist."""
    share = float(np.clip(score, 0.0, 1.0))
    low, high = np.array([221, 221, 221]), np.array([198, 40, 40])
    red, green, blue = (low + share * (high - low)).round().astype(int)
    return QColor(int(red), int(green), int(blue))


class OverviewGrid(QWidget):
    """Emits ``head_chosen(layer, head)`` when a thumbnail is clicked."""

    head_chosen = Signal(int, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.attention_map: AttentionMap | None = None
        self._lookup = pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=False)
        self._images: dict[tuple[int, int], QImage] = {}
        self.hide_sink = False
        self.head_scores: np.ndarray | None = None  # (L, H) in 0..1: each head framed in its score's colour
        self.blocks = 1  # blocks of layers side by side: a wide view shows 30 layers in fewer rows
        self._width = 0  # the width to fill, from the view that shows the grid (0: one block)
        self.setToolTip(self.tr(
            "Every head of every layer, each on its own colour scale (square root of weight / its maximum). "
            "Click one to open it in the heatmap."))

    @property
    def thumbnails_made(self) -> int:
        return len(self._images)

    def set_map(self, attention_map: AttentionMap | None) -> None:
        self.attention_map = attention_map
        self._images.clear()
        self._lay_out()

    def follow_width_of(self, view: QWidget) -> None:
        """Lay the layers out in as many blocks side by side as ``view`` (the scroll area's viewport) fits."""
        view.installEventFilter(self)
        self.fit_width(view.width())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.fit_width(watched.width())
        return super().eventFilter(watched, event)

    def fit_width(self, width: int) -> None:
        self._width = width
        self._lay_out()

    def _block_width(self) -> int:
        return _LEFT + self.attention_map.heads * (THUMBNAIL + _GAP) + _BLOCK_GAP

    def _rows(self) -> int:
        """Layers per block."""
        return -(-self.attention_map.layers // self.blocks)

    def _lay_out(self) -> None:
        if self.attention_map is not None:
            layers = self.attention_map.layers
            fitting = min(layers, max(1, (self._width + _BLOCK_GAP) // self._block_width()))
            rows = -(-layers // fitting)
            self.blocks = -(-layers // rows)  # as many as those rows fill: none left empty by the rounding
        self.setFixedSize(self.sizeHint())
        self.update()

    def set_hide_sink(self, hide: bool) -> None:
        if hide != self.hide_sink:
            self.hide_sink = hide
            self._images.clear()
            self.update()

    def set_head_scores(self, scores: np.ndarray | None) -> None:
        """Frame each head in the colour of its score (L, H), written on it; None: no frames."""
        self.head_scores = scores
        self.update()

    def _scores_fit(self) -> bool:
        scores, attention_map = self.head_scores, self.attention_map
        return scores is not None and attention_map is not None and scores.shape == (attention_map.layers,
                                                                                     attention_map.heads)

    def set_color_map(self, name: str) -> None:
        self._lookup = pg.colormap.get(name).getLookupTable(nPts=256, alpha=False)
        self._images.clear()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        if self.attention_map is None:
            return QSize(200, 100)
        return QSize(self.blocks * self._block_width() - _BLOCK_GAP, _TOP + self._rows() * (THUMBNAIL + _GAP))

    def _cell_rect(self, layer: int, head: int) -> QRect:
        step, rows = THUMBNAIL + _GAP, self._rows()
        left = (layer // rows) * self._block_width() + _LEFT
        return QRect(left + head * step, _TOP + (layer % rows) * step, THUMBNAIL, THUMBNAIL)

    def _image(self, layer: int, head: int) -> QImage:
        key = (layer, head)
        if key not in self._images:
            attention_map = self.attention_map
            values = thumbnail_values(attention_map.weights[layer, head], attention_map.causal, self.hide_sink)
            self._images[key] = _to_image(values, self._lookup)
        return self._images[key]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor("white"))
        if self.attention_map is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("No capture yet."))
            return
        painter.setPen(QColor("#333"))
        scored = self._scores_fit()
        for block in range(self.blocks):  # each block's heads named over it
            for head in range(self.attention_map.heads):
                cell = self._cell_rect(block * self._rows(), head)
                painter.drawText(cell.translated(0, -_TOP).adjusted(0, 0, 0, _TOP - THUMBNAIL),
                                 Qt.AlignmentFlag.AlignCenter, f"H{head}")
        for layer in range(self.attention_map.layers):
            first = self._cell_rect(layer, 0)
            label = QRect(first.left() - _LEFT, first.top(), _LEFT - 4, THUMBNAIL)
            if label.intersects(event.rect()):
                painter.drawText(label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"L{layer}")
            for head in range(self.attention_map.heads):
                cell = self._cell_rect(layer, head)
                if cell.intersects(event.rect()):  # only what is on screen is ever computed
                    painter.fillRect(cell, QColor("#eeeeee"))
                    painter.drawImage(cell, self._image(layer, head))
                    if scored:
                        self._paint_score(painter, cell, float(self.head_scores[layer, head]))

    def _paint_score(self, painter: QPainter, cell: QRect, score: float) -> None:
        pen = QPen(score_color(score), _FRAME)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.save()
        painter.setPen(pen)
        painter.drawRect(cell.adjusted(-_FRAME // 2, -_FRAME // 2, _FRAME // 2, _FRAME // 2))
        label = QRect(cell.right() - 30, cell.bottom() - 14, 31, 15)
        painter.fillRect(label, QColor(255, 255, 255, 210))
        painter.setPen(QColor("#111"))
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, f"{score:.2f}")
        painter.restore()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.attention_map is None or event.button() != Qt.MouseButton.LeftButton:
            return
        for layer in range(self.attention_map.layers):
            for head in range(self.attention_map.heads):
                if self._cell_rect(layer, head).contains(event.position().toPoint()):
                    self.head_chosen.emit(layer, head)
                    return
