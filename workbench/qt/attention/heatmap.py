"""The attention heatmap: an ImageItem with token labels on both axes and a colour bar.

Follows pyqtgraph's MatrixDisplayExample: row-major image shifted half a cell so cell
(row, column) sits on integer ticks, y inverted so the first query is on top. The aspect
is locked so cells stay square: a wide view shows the matrix with room beside it rather
than cells stretched into bars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from workbench.core.attention_tokens import elide, label_stride
from workbench.qt.common.theme import SELECTION_COLOR
from workbench.qt.common.tooltips import literal

_EMPTY_CELL = "#e6e6e6"
_UNCAPPED = 16777215  # QWIDGETSIZE_MAX: a graphics widget's own maximum
LOG_FLOOR = 1e-4  # weights below this share the darkest colour on the log scale
COLOR_MAPS = ("viridis", "inferno", "magma", "plasma", "cividis", "CET-L17")


class TokenAxis(pg.AxisItem):
    """An axis whose ticks are token labels. It labels as many tokens as fit (every one when
    zoomed in, every 2nd, 5th, 10th... when not), and always the selected token (bold, in the
    selection colour) and the hovered one (bold), dropping the neighbours they would overlap.
    ``rotated`` draws labels vertically, so a horizontal axis can label one token per text line
    instead of one per word width; labels no wider than a line (a Chinese character, a letter) stay
    upright, as turning them on their side makes them hard to read."""

    # Whole, whatever room the axis has to show it. A class default: pyqtgraph resizes the axis inside its
    # __init__, before this one's own attributes are set.
    title = ""

    def __init__(self, orientation: str, rotated: bool = False) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)  # its values are token positions: a title must never read "(x0.001)"
        self.labels: tuple[str, ...] = ()
        self.rotated = rotated
        self.upright = False  # a rotated axis whose labels all fit upright in one line's width
        self.selected = -1
        self.hovered = -1
        # Thinned labels fall on the indices ``stride_origin`` + k·stride; ``pinned`` ones show whenever they are in
        # view (the lens labels its embeddings row, then layers 0, 2, 4…, not "embed, 1, 3…").
        self.stride_origin = 0
        self.pinned: frozenset[int] = frozenset()
        self._bold_font = QFont(self.font())
        self._bold_font.setBold(True)

    def set_labels(self, labels: Sequence[str]) -> None:
        self.labels = tuple(elide(label) for label in labels)
        self.selected = self.hovered = -1
        self._fit_size()

    def set_title(self, title: str) -> None:
        """What the axis's tokens are, written beside their labels."""
        self.title = title
        self.setLabel(title, color="k")
        self._fit_title()
        self._fit_size()

    def resizeEvent(self, ev=None) -> None:  # noqa: N802 (pyqtgraph's name)
        if self.label is not None:  # pyqtgraph clears it on close, and a resize may still come
            self._fit_title()
        super().resizeEvent(ev)

    def _fit_title(self) -> None:
        """A title longer than its axis ends in "…", whole in the tooltip: on a short pane (the training page's
        checkpoint attention) "query: the token that looks" ran under the tabs above it."""
        room = self.size().height() if self.orientation in ("left", "right") else self.size().width()
        if room <= 0:  # not laid out yet: whole until it has a size
            shown = self.title
        else:
            shown = QFontMetricsF(self.label.font()).elidedText(self.title, Qt.TextElideMode.ElideRight, room - 8)
        if shown != self.labelText:
            self.labelText = shown
            self.label.setHtml(self.labelString())
        self.setToolTip(literal(self.title if shown != self.title else ""))

    def _fit_size(self) -> None:
        """Size the axis for its widest label now (pyqtgraph would only widen it after a first paint, and
        drops the labels that do not fit until then), plus its title's line: a fixed size leaves the title
        no room of its own."""
        metrics = QFontMetricsF(self._bold_font)  # the widest label may be drawn bold
        widest = max((metrics.horizontalAdvance(label) for label in self.labels), default=20)
        title = self.label.boundingRect().height() if self.label.isVisible() else 0.0
        self.upright = self.rotated and widest <= self._line_height()
        if self.upright:
            self.setHeight(int(self._line_height() + title) + 14)
        elif self.rotated:
            self.setHeight(int(widest + title) + 14)
        elif self.orientation in ("left", "right"):
            self.setWidth(int(widest + title) + 16)
        self.picture = None
        self.update()

    def set_marked(self, selected: int, hovered: int) -> None:
        """Token indices always labelled (-1 for none)."""
        if (selected, hovered) != (self.selected, self.hovered):
            self.selected, self.hovered = selected, hovered
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
        stride = label_stride(pixels_per_token, needed)
        start = self.stride_origin + math.ceil((first - self.stride_origin) / stride) * stride
        room = needed / pixels_per_token  # in tokens: how close a neighbour may sit to a marked label
        marked = {index for index in (self.selected, self.hovered) if first <= index <= last}
        # A pinned label gives way to a marked one it would overlap, as the regular ones do.
        marked |= {index for index in self.pinned if first <= index <= last and all(abs(index - m) >= room
                                                                                   for m in marked)}
        regular = [v for v in range(start, last + 1, stride) if all(abs(v - m) >= room for m in marked)]
        return [(stride, sorted(marked.union(regular)))]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [self.labels[int(v)] if 0 <= int(v) < len(self.labels) else "" for v in values]

    def index_at(self, position: QPointF) -> int:
        """The token whose tick is at ``position`` (local coordinates), inverting AxisItem's mapping."""
        bounds = self.mapRectFromParent(self.geometry())
        low, high = self.range
        if self.orientation in ("left", "right"):
            return round(low + (bounds.height() - position.y()) * (high - low) / max(bounds.height(), 1e-9))
        return round(low + position.x() * (high - low) / max(bounds.width(), 1e-9))

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs):  # noqa: N802
        # The tick lines as pyqtgraph draws them; the labels here, so each can have its own font.
        super().drawPicture(p, axisSpec, tickSpecs, [])
        bounds = self.mapRectFromParent(self.geometry())
        line = self._line_height()
        for _, start, _ in tickSpecs:
            index = self.index_at(start)
            if not 0 <= index < len(self.labels):
                continue
            p.setFont(self._bold_font if index in (self.selected, self.hovered) else self.font())
            p.setPen(QColor(SELECTION_COLOR) if index == self.selected else self.textPen().color())
            p.save()
            if self.upright:
                text_rect = QRectF(start.x() - line, 6, 2 * line, line)
                alignment = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
            elif self.rotated:
                alignment = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                p.translate(start.x(), 6)
                p.rotate(-90)
                # After rotating, "left" runs down the axis: right-align so labels end at the plot.
                text_rect = QRectF(-self.height(), -line / 2, self.height() - 2, line)
            else:  # a left axis: labels end just before the tick
                alignment = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                text_rect = QRectF(0, start.y() - line / 2, bounds.width() - 8, line)
            p.drawText(text_rect, int(alignment), self.labels[index])
            p.restore()


@dataclass(frozen=True)
class DisplayOptions:
    causal: bool = False  # leave the masked upper triangle empty
    hide_sink: bool = False  # blank the first key column, which often soaks up most attention
    log_scale: bool = False


def display_values(matrix: np.ndarray, options: DisplayOptions) -> tuple[np.ndarray, tuple[float, float]]:
    """The (Tq, Tk) image to draw and its colour levels. Masked and hidden cells are not NaN
    here (NaN sends pyqtgraph down a path 3x slower); the mask overlay covers them."""
    hidden_sink = options.hide_sink and matrix.shape[1] > 1
    shown = matrix[:, 1:] if hidden_sink else matrix
    peak = float(shown.max()) if shown.size else 1.0  # masked cells hold 0, so they never set the peak
    if options.log_scale:
        values = np.log10(np.maximum(matrix, LOG_FLOOR))
        return values, (math.log10(LOG_FLOOR), math.log10(max(peak, LOG_FLOOR * 10)))
    return matrix, (0.0, max(peak, 1e-6))


def mask_path(rows: int, columns: int, options: DisplayOptions) -> QPainterPath:
    """Outline of the cells left empty: the causal staircase above the diagonal, the sink column."""
    path = QPainterPath()
    if options.causal and columns > 1:
        # Row r masks columns r+1..: step down the diagonal, then back along the top edge.
        corners = [QPointF(0.5, -0.5)]
        for row in range(min(rows, columns - 1)):
            corners += [QPointF(row + 0.5, row + 0.5), QPointF(row + 1.5, row + 0.5)]
        corners += [QPointF(columns - 0.5, -0.5)]
        path.addPolygon(QPolygonF(corners))
        path.closeSubpath()
    if options.hide_sink and columns > 1:
        path.addRect(QRectF(-0.5, -0.5, 1.0, rows))
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


class TokenImage(pg.GraphicsLayoutWidget):
    """An image of per-token values with token labels on both axes (the first row on top), a colour
    bar and outlines for the selection: the base of the attention heatmap and the lens grid. A
    subclass handles ``_on_mouse_moved(scene_pos)`` and ``_on_mouse_clicked(event)``, and
    ``_step_selection(step)``: the arrow keys move the selected token as a click would (a ring in the
    selection colour shows the keyboard is here)."""

    _ARROWS = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
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
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=14,
                                         colorMapMenu=False)
        self.color_bar.axis.setTextPen("k")
        self.color_bar.axis.enableAutoSIPrefix(False)
        self.color_bar.setImageItem(self.image, insert_in=self.plot)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    def set_axis_titles(self, rows: str, columns: str) -> None:
        """What the rows and the columns are (one class serves tokens x tokens, layers x positions, heads x
        tokens)."""
        self.left_axis.set_title(rows)
        self.bottom_axis.set_title(columns)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.hasFocus():
            painter = QPainter(self.viewport())
            painter.setPen(QPen(QColor(SELECTION_COLOR), 2))
            painter.drawRect(QRectF(self.viewport().rect()).adjusted(1, 1, -1, -1))
            painter.end()

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        super().focusInEvent(event)
        self.viewport().update()  # the ring

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        super().focusOutEvent(event)
        self.viewport().update()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        step = self._ARROWS.get(Qt.Key(event.key()))
        if step is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier and self._step_selection(step):
            event.accept()
            return
        super().keyPressEvent(event)

    def _step_selection(self, step: int) -> bool:
        """Select the token ``step`` (-1 or 1) from the selected one, as a click would; False when there is none."""
        return False

    @staticmethod
    def _stepped(selected: int, step: int, count: int) -> int:
        """The index ``step`` from ``selected`` within 0..count-1 (from nothing selected: the first or the last)."""
        if selected < 0:
            return 0 if step > 0 else count - 1
        return min(max(selected + step, 0), count - 1)

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """The (row, column) of the image cell under ``scene_pos``, or None off the image."""
        if self.image.image is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.getViewBox().mapSceneToView(scene_pos)
        row, column = math.floor(point.y() + 0.5), math.floor(point.x() + 0.5)
        rows, columns = self.image.image.shape[:2]
        if 0 <= row < rows and 0 <= column < columns:
            return row, column
        return None

    def add_selection_box(self) -> QGraphicsRectItem:
        """A hidden outline in the selection colour, 2 screen pixels wide at any zoom, over the image."""
        box = QGraphicsRectItem()
        pen = QPen(QColor(SELECTION_COLOR), 2)
        pen.setCosmetic(True)
        box.setPen(pen)
        box.setZValue(2)
        box.setVisible(False)
        self.plot.addItem(box)
        return box


class AttentionHeatmap(TokenImage):
    """Shows one (queries × keys) matrix. Emits ``hovered(row, column)`` (-1, -1 when off the
    image), ``query_clicked(row)`` for a cell or a query label and ``key_clicked(column)`` for a
    key label. ``select_token`` outlines a row and a column."""

    hovered = Signal(int, int)
    query_clicked = Signal(int)
    key_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot.setAspectLocked(True)  # square cells: a row and a column of one token look alike
        self.mask_item = QGraphicsPathItem()  # empty cells, drawn as light grey over the image
        self.mask_item.setBrush(QBrush(QColor(_EMPTY_CELL)))
        self.mask_item.setPen(Qt.PenStyle.NoPen)
        self.mask_item.setZValue(1)
        self.plot.addItem(self.mask_item)
        self._mask_key: tuple = ()
        self.selection_boxes = (self.add_selection_box(), self.add_selection_box())  # the selected row, column
        self.selected = (-1, -1)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.options = DisplayOptions()
        self.query_labels: tuple[str, ...] = ()
        self.key_labels: tuple[str, ...] = ()
        self.setMinimumSize(240, 240)  # below this the axis labels leave no room for the cells
        self.set_axis_titles(self.tr("query: the token that looks"), self.tr("key: the token looked at"))
        self._fitted = True  # the whole matrix in view, as ``fit`` places it: kept so through resizes
        self._hug_later = QTimer(self, singleShot=True, interval=0)  # dies with the widget, unlike a bare single shot
        self._hug_later.timeout.connect(self._hug_cells)
        view = self.plot.getViewBox()
        view.sigResized.connect(self._keep_fitted)
        view.sigRangeChangedManually.connect(self._zoomed)

    def set_tokens(self, query_labels: Sequence[str], key_labels: Sequence[str]) -> None:
        """New token sequences (a new capture): axes relabelled and the view reset."""
        self.query_labels, self.key_labels = tuple(query_labels), tuple(key_labels)
        self.left_axis.set_labels(self.query_labels)
        self.bottom_axis.set_labels(self.key_labels)
        self.select_token(-1, -1)
        self._hug_cells()
        self.fit()

    def fit(self) -> None:
        """The whole matrix in view with square cells (after zooming or panning), against its axes: the room
        square cells leave over goes above it (or, on a wide area, past the colour bar: ``_hug_cells``), never
        between the cells and their token labels (centred, a wide area put the labels a hand's width from their
        rows)."""
        self._fitted = True
        rows, columns = len(self.query_labels), len(self.key_labels)
        view = self.plot.getViewBox()
        width, height = view.width(), view.height()  # pixels
        if not (rows and columns and width > 0 and height > 0):
            self.plot.setRange(xRange=(-0.5, columns - 0.5), yRange=(-0.5, rows - 0.5), padding=0)
            return
        cell = min(width / columns, height / rows)  # pixels a side
        # The first query row is drawn on top (inverted y): its last row sits on the bottom axis.
        self.plot.setRange(xRange=(-0.5, width / cell - 0.5), yRange=(rows - 0.5 - height / cell, rows - 0.5),
                           padding=0)

    def _keep_fitted(self) -> None:
        self._hug_later.start()  # a width set while the layout places its items would wait
        if self._fitted:
            self.fit()

    def _hug_cells(self) -> None:
        """On an area wider than square cells fill, the plot (labels, cells, colour bar) takes only the width its
        cells need: the colour bar stays beside the cells and the room is left over after it."""
        rows, columns = len(self.query_labels), len(self.key_labels)
        view = self.plot.getViewBox()
        if rows and columns and view.height() > 0:
            frame = self.plot.geometry().width() - view.width()  # the token labels and the colour bar, in pixels
            # The keys' title keeps its width whole under a tall matrix (many queries, few keys).
            title = QFontMetricsF(self.bottom_axis.label.font()).horizontalAdvance(self.bottom_axis.title) + 8
            wanted = math.ceil(frame + max(view.height() * columns / rows, title))
        else:
            wanted = _UNCAPPED
        if self.plot.maximumWidth() != wanted:  # the capped plot's view resizes: this runs again, unchanged
            self.plot.setMaximumWidth(wanted)
            # The top item, capped by its plot, is given the widget's area on a resize only: given it again now.
            self.ci.setGeometry(QRectF(self.viewport().rect()))

    def _zoomed(self, *_changed) -> None:
        self._fitted = False  # the person's zoom stays until Fit

    def select_token(self, row: int, column: int) -> None:
        """Outline query ``row`` and key ``column`` and always label them (-1: none)."""
        self.selected = (row, column)
        row_box, column_box = self.selection_boxes
        row_box.setVisible(0 <= row < len(self.query_labels))
        row_box.setRect(QRectF(-0.5, row - 0.5, len(self.key_labels), 1))
        column_box.setVisible(0 <= column < len(self.key_labels))
        column_box.setRect(QRectF(column - 0.5, -0.5, 1, len(self.query_labels)))
        self.left_axis.set_marked(row, self.left_axis.hovered)
        self.bottom_axis.set_marked(column, self.bottom_axis.hovered)

    def set_matrix(self, matrix: np.ndarray, options: DisplayOptions = DisplayOptions()) -> None:
        """Show ``matrix`` (raw weights, kept for hover and export) drawn with ``options``."""
        self.matrix, self.options = matrix, options
        values, levels = display_values(matrix, options)
        rows, columns = values.shape
        self.image.setImage(values, autoLevels=False, levels=levels)
        self.image.setRect(QRectF(-0.5, -0.5, columns, rows))
        mask_key = (rows, columns, options.causal, options.hide_sink)
        if mask_key != self._mask_key:  # the outline changes with a new capture or option only
            self._mask_key = mask_key
            self.mask_item.setPath(mask_path(rows, columns, options))
        self.color_bar.setLevels(levels)
        label = self.tr("log₁₀ weight") if options.log_scale else self.tr("weight")
        if self.color_bar.axis.labelText != label:  # relabelling re-lays out the axis: only on change
            self.color_bar.axis.setLabel(label, color="k")

    def clear_matrix(self) -> None:
        """Show no matrix (the capture went away with its model or run)."""
        self.set_tokens([], [])
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.image.clear()
        self._mask_key = None
        self.mask_item.setPath(QPainterPath())

    def set_color_map(self, name: str) -> None:
        self.color_bar.setColorMap(pg.colormap.get(name))

    def hover_text(self, row: int, column: int) -> str:
        masked = self.options.causal and column > row
        shown = self.tr("masked (a token cannot see later tokens)") if masked else f"{self.matrix[row, column]:.4f}"
        return f"{self.query_labels[row]} → {self.key_labels[column]}: {shown}"

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        row, column = self.cell_at(scene_pos) or (-1, -1)
        self.left_axis.set_marked(self.selected[0], row)
        self.bottom_axis.set_marked(self.selected[1], column)
        self.hovered.emit(row, column)

    def label_at(self, scene_pos: QPointF) -> tuple[TokenAxis, int] | None:
        """The axis and token whose label is under ``scene_pos``, if any."""
        for axis in (self.left_axis, self.bottom_axis):
            if axis.sceneBoundingRect().contains(scene_pos):
                index = axis.index_at(axis.mapFromScene(scene_pos))
                return (axis, index) if 0 <= index < len(axis.labels) else None
        return None

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        label = self.label_at(event.scenePos())
        if cell is not None:
            self.query_clicked.emit(cell[0])
        elif label is not None:
            axis, index = label
            (self.query_clicked if axis is self.left_axis else self.key_clicked).emit(index)

    def _step_selection(self, step: int) -> bool:
        rows = len(self.query_labels)
        if rows == 0:
            return False
        self.query_clicked.emit(self._stepped(self.selected[0], step, rows))
        return True

