"""Live curves: named series in stacked plots that share their x axis, redrawn at most twice a second.

Appending is cheap: each series keeps its points in a numpy buffer that doubles when
full, and a throttled redraw (superqt) draws only the series that changed. Each curve is
one ``PlotDataItem`` fed with ``setData``, clipped to the view and peak-downsampled,
so 100k points stay fluid and loss spikes stay visible. Nothing here knows about
training: the training panel and the generative lab both describe their own series.

Each plot keeps a readable height (the plots scroll rather than squash), has its legend
in a row above its data, and hovering shows the value of every curve under the cursor.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel
from superqt.utils import qthrottled

from workbench.core.atomic import write_bytes_atomic
from workbench.core.errors import InvalidInputError
from workbench.core.i18n import QT_TRANSLATE_NOOP
from workbench.qt.common.axes import WholeNumberAxis
from workbench.qt.common.export import ask_and_save, save_image
from workbench.qt.common.sliders import LabeledDoubleSlider
from workbench.qt.common.throttle import land_when_closed
from workbench.qt.common.tooltips import literal

REDRAW_INTERVAL_MS = 500  # 2 redraws a second at most: on 2 cores a redraw costs the trainer more than it shows
READOUT_INTERVAL_MS = 50  # the hover readout follows the mouse at most 20 times a second
PLOT_MIN_HEIGHT = 140  # pixels of data area below which tick labels overlap and curves blur together
LEGEND_COLUMNS = 4  # legend entries per row above a plot at most; more entries wrap to a new row
LEGEND_SPACING = 12  # between two entries of a legend row
LEGEND_MARGIN = 24  # the legend's own margins and the scroll bar
CURRENT_RUN = "current"  # the run name of live series in exported CSV files

# Distinct on both light and dark backgrounds (Tableau 10).
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
# Overlays of earlier runs cycle through these so two old runs stay apart.
OVERLAY_LEGEND_COLOR = "#777777"  # an overlay's legend entry: its dash, in no series' colour
OVERLAY_DASHES = (Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine, Qt.PenStyle.DashDotDotLine)


@dataclass(frozen=True)
class XAxis:
    """One way to measure progress along x (step, tokens seen, wall time...)."""

    key: str  # column name in exported CSV files
    label: str  # shown to the person, already translated
    whole: bool = False  # a count (steps, tokens): ticked at whole numbers only


def exponential_moving_average(values: np.ndarray, smoothing: float, previous: float | None = None) -> np.ndarray:
    """``ema[i] = smoothing * ema[i-1] + (1 - smoothing) * values[i]``, starting from
    ``previous`` (or from the first value), so a longer series can be smoothed piece by piece."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or smoothing <= 0.0:
        return values.copy()
    start = values[0] if previous is None else previous
    # A scan by doubling instead of a Python loop over the points (~50 ms for 100k): after
    # the pass with step d, smoothed[i] sums its last 2d terms, each weighted smoothing**k.
    # log2(N) vector passes take ~2 ms for 100k points; the weights only shrink, so they
    # end in harmless underflow to 0 rather than overflow.
    smoothed = (1.0 - smoothing) * values
    smoothed[0] += smoothing * start
    step, weight = 1, smoothing
    while step < len(smoothed) and weight > 0.0:
        smoothed[step:] += weight * smoothed[:-step]  # the right side is computed before the add
        step, weight = 2 * step, weight * weight
    return smoothed


class _GrowingBuffer:
    """Rows of floats appended at the end; the first ``len`` rows never change once written."""

    def __init__(self, columns: int, capacity: int = 1024) -> None:
        self._rows = np.empty((capacity, columns), dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def extend(self, rows: np.ndarray) -> None:  # rows: (n, columns)
        needed = self._size + len(rows)
        if needed > len(self._rows):
            grown = np.empty((max(needed, 2 * len(self._rows)), self._rows.shape[1]), dtype=np.float64)
            grown[: self._size] = self._rows[: self._size]
            self._rows = grown
        self._rows[self._size : needed] = rows
        self._size = needed

    def view(self) -> np.ndarray:  # (len, columns)
        return self._rows[: self._size]

    def clear(self) -> None:
        self._size = 0


def _pen(color: QColor, width: float = 1.5, alpha: int = 255, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    shade = QColor(color)
    shade.setAlpha(alpha)
    return pg.mkPen(shade, width=width, style=style)


def _curve_item(name: str | None, pen, symbol: str | None) -> pg.PlotDataItem:
    item = pg.PlotDataItem(name=name, pen=pen)
    if symbol:
        item.setSymbol(symbol)
        item.setSymbolSize(5)
        item.setSymbolBrush(pg.mkBrush(pen.color()))
        item.setSymbolPen(pg.mkPen(pen.color()))
    # One min/max pair per pixel instead of pyqtgraph's five: wide lines are slow to draw
    # in Qt's raster engine, and peak downsampling still keeps every spike (no setter exists).
    item.opts["autoDownsampleFactor"] = 1.0
    return item


@dataclass
class _Series:
    name: str
    plot_key: str
    color: QColor
    smoothing: bool
    points: _GrowingBuffer  # (N, number of x axes + 1): every x axis, then y
    raw_item: pg.PlotDataItem
    smoothed_item: pg.PlotDataItem | None
    smoothed: np.ndarray = field(default_factory=lambda: np.empty(0))  # EMA of the first len(smoothed) points
    dirty: bool = False


@dataclass
class _Overlay:
    """A finished run kept for comparison: its points, and one dimmed item per series."""

    label: str
    series: dict[str, np.ndarray]  # name -> (N, number of x axes + 1)
    items: dict[str, pg.PlotDataItem]
    # One legend entry per plot it draws in, for all its curves there: five dimmed copies of names already in
    # the legend would take the rows the plot needs (a curve's colour says which series it is).
    legend_samples: dict[str, pg.PlotDataItem] = field(default_factory=dict)


class LiveCurvesWidget(QWidget):
    """Named series in one or more stacked plots with a shared x axis.

    ``add_plot`` then ``add_series`` describe the curves; ``append``/``extend`` add points
    from the GUI thread (cheap: they only buffer); the widget redraws at most every
    ``REDRAW_INTERVAL_MS``. A toolbar switches the x axis, log scales and smoothing,
    clears overlays and exports CSV/PNG.
    """

    def __init__(self, x_axes: Sequence[XAxis] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._x_axes: tuple[XAxis, ...] = tuple(x_axes or (XAxis("step", self.tr("Step"), whole=True),))
        self._x_index = 0
        self._log_x = False
        self._log_y = False
        self._smoothing = 0.6
        self._plots: dict[str, pg.PlotItem] = {}
        self._places: list[tuple[int, int]] = []  # each plot's (row, column), in the order of ``_plots``
        self._cursor_lines: list[pg.InfiniteLine] = []
        self._series: dict[str, _Series] = {}
        self._overlays: list[_Overlay] = []
        self._colors = itertools.cycle(PALETTE)
        self._colors_taken: dict[str, set[str]] = {}  # by plot: the colours its series use

        # Trailing: points that arrive together are drawn together, once the interval is up.
        self._schedule_redraw = qthrottled(self._redraw_dirty, timeout=REDRAW_INTERVAL_MS, leading=False, parent=self)
        self._schedule_readout = qthrottled(
            self._show_readout_at, timeout=READOUT_INTERVAL_MS, leading=True, parent=self
        )
        land_when_closed(self, self._schedule_redraw, self._schedule_readout)

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground("w")
        self._graphics.scene().sigMouseMoved.connect(self._schedule_readout)
        self._readout_hint = self.tr("Hover over a plot to read the values under the cursor.")
        self.readout = QElidingLabel(self._readout_hint)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._graphics.installEventFilter(self)  # the mouse leaving the plots clears the readout
        # The plots keep their minimum height; a small window scrolls through them instead.
        self._scroll = scroll = QScrollArea()
        scroll.setWidget(self._graphics)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_toolbar())
        layout.addWidget(self.readout)
        layout.addWidget(scroll, 1)

    # ----- toolbar -----------------------------------------------------------------

    def _build_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.x_axis_combo = QComboBox()
        for axis in self._x_axes:
            self.x_axis_combo.addItem(axis.label, axis.key)
        self.x_axis_combo.setToolTip(self.tr("What the horizontal axis counts."))
        self.x_axis_combo.currentIndexChanged.connect(self.set_x_axis_index)
        x_label = QLabel(self.tr("X axis:"))
        x_label.setBuddy(self.x_axis_combo)
        if len(self._x_axes) > 1:
            bar.addWidget(x_label)
            bar.addWidget(self.x_axis_combo)
        else:
            x_label.hide()
            self.x_axis_combo.hide()

        self.log_x_box = QCheckBox(self.tr("Log x"))
        self.log_x_box.setToolTip(self.tr("Logarithmic horizontal axis: early steps get as much room as late ones."))
        self.log_x_box.toggled.connect(self.set_log_x)
        self.log_y_box = QCheckBox(self.tr("Log y"))
        self.log_y_box.setToolTip(self.tr("Logarithmic vertical axis: small late improvements in loss become visible."))
        self.log_y_box.toggled.connect(self.set_log_y)
        bar.addWidget(self.log_x_box)
        bar.addWidget(self.log_y_box)

        smoothing_label = QLabel(self.tr("Smoothing:"))
        self.smoothing_slider = LabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0.0, 0.99)
        self.smoothing_slider.setDecimals(2)
        self.smoothing_slider.setValue(self._smoothing)
        self.smoothing_slider.setToolTip(
            self.tr(
                "How much the bold curve averages over recent points (exponential moving average). "
                "0 shows the raw values; closer to 1 is smoother but reacts later."
            )
        )
        self.smoothing_slider.setMinimumWidth(140)
        self.smoothing_slider.valueChanged.connect(self.set_smoothing)
        smoothing_label.setBuddy(self.smoothing_slider)
        bar.addWidget(smoothing_label)
        bar.addWidget(self.smoothing_slider, 1)

        self.clear_overlays_button = QPushButton(self.tr("Clear overlays"))
        self.clear_overlays_button.setToolTip(self.tr("Remove the dimmed curves of earlier runs."))
        self.clear_overlays_button.clicked.connect(self.clear_overlays)
        self.clear_overlays_button.setEnabled(False)
        export_csv = QPushButton(self.tr("Export CSV…"))
        export_csv.setToolTip(self.tr("Save every point of every curve as a table."))
        export_csv.clicked.connect(self._ask_export_csv)
        export_png = QPushButton(self.tr("Export PNG…"))
        export_png.setToolTip(self.tr("Save the plots as they look now as an image."))
        export_png.clicked.connect(self._ask_export_png)
        self.export_buttons = (export_csv, export_png)
        for button in self.export_buttons:
            button.setEnabled(False)  # until there is a point to save
        bar.addWidget(self.clear_overlays_button)
        bar.addWidget(export_csv)
        bar.addWidget(export_png)
        return bar

    def _enable_export(self) -> None:
        has_points = bool(self._overlays) or any(len(series.points) for series in self._series.values())
        for button in self.export_buttons:
            button.setEnabled(has_points)

    # ----- describing the curves ---------------------------------------------------

    def add_plot(self, key: str, y_label: str, stretch: int = 1, beside: bool = False) -> pg.PlotItem:
        """A new plot below the existing ones, or ``beside`` the last one (two short plots that a laptop's height
        shows whole only side by side); its x axis follows the first plot's."""
        if key in self._plots:
            return self._plots[key]
        if beside and self._places:
            plot_row, column = self._places[-1]
            column += 1
        else:
            plot_row, column = (self._places[-1][0] + 1 if self._places else 0), 0
        row = 2 * plot_row  # a legend row above each plot
        # The legend sits in its own row, so curves never hide it and it never hides them.
        legend = pg.LegendItem(colCount=LEGEND_COLUMNS, labelTextColor="#333333", frame=False)
        legend.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)  # entries side by side, not spread
        self._graphics.addItem(legend, row=row, col=column)
        self._graphics.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignLeft)
        plot = self._graphics.addPlot(row=row + 1, col=column,
                                      axisItems={"bottom": WholeNumberAxis(orientation="bottom")})
        plot.getAxis("bottom").whole = self.x_axis.whole
        plot.legend = legend  # where PlotItem.addItem puts named curves, and removeItem takes them from
        plot.setLabel("left", y_label)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)  # "Step (x0.001)" reads as a bug, not as units
        plot.getViewBox().setMinimumHeight(PLOT_MIN_HEIGHT)
        cursor_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#999999", style=Qt.PenStyle.DotLine))
        cursor_line.setVisible(False)
        plot.addItem(cursor_line, ignoreBounds=True)
        self._cursor_lines.append(cursor_line)
        # No grid: pyqtgraph draws grid lines as translucent tick lines, which tripled the redraw time.
        # The plot hands these to every curve added to it (and would override per-curve settings):
        # draw only the visible range, at about one min/max pair per pixel so spikes stay visible.
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setLogMode(self._log_x, self._log_y)
        self._graphics.ci.layout.setRowStretchFactor(row + 1, stretch)
        if self._plots:
            plot.setXLink(next(iter(self._plots.values())))
        self._plots[key] = plot
        self._places.append((plot_row, column))
        self._label_bottom_axis()
        self._fit_minimum_height()
        return plot

    def plot(self, key: str) -> pg.PlotItem:
        """The plot made by ``add_plot(key, ...)``."""
        return self._plots[key]

    def _fit_legends(self) -> bool:
        """As many legend columns (up to LEGEND_COLUMNS) as fit the width, so a long overlay name wraps to a new
        row instead of running off the right edge; whether any legend changed."""
        changed = False
        for plot, (plot_row, _) in zip(self._plots.values(), self._places):
            beside = sum(row == plot_row for row, _ in self._places)  # the plots sharing the width
            width = self._graphics.viewport().width() / beside - LEGEND_MARGIN
            legend = plot.legend
            entries = [sample.boundingRect().width() + label.preferredWidth() + LEGEND_SPACING
                       for sample, label in legend.items]  # in the order the rows fill
            columns = 1
            for count in range(min(LEGEND_COLUMNS, len(entries)), 1, -1):
                # A column of the legend's grid is as wide as its widest entry.
                if sum(max(entries[column::count]) for column in range(count)) <= width:
                    columns = count
                    break
            if columns != legend.columnCount:
                legend.setColumnCount(columns)
                changed = True
        return changed

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._plots and self._fit_legends():
            self._fit_minimum_height()

    def _fit_minimum_height(self) -> None:
        """Make the scrolled area as tall as the plots' minimum heights plus legends and axes,
        and keep the first plot (the loss) whole in view however small the window: the others scroll."""
        self._fit_legends()
        layout = self._graphics.ci.layout
        layout.invalidate()
        needed = math.ceil(self._graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height())
        self._graphics.setMinimumHeight(needed)
        first = next(iter(self._plots.values()))
        top = layout.getContentsMargins()[1]
        first_whole = (top + first.legend.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
                       + layout.verticalSpacing() + first.effectiveSizeHint(Qt.SizeHint.MinimumSize).height())
        self._scroll.setMinimumHeight(min(needed, math.ceil(first_whole) + layout.verticalSpacing()))

    def unscrolled_height(self) -> int:
        """The height at which every plot shows whole, without scrolling."""
        return self.minimumSizeHint().height() - self._scroll.minimumHeight() + self._graphics.minimumHeight()

    def _free_color(self, taken: set[str]) -> str:
        """The next palette colour no series of the plot uses yet, so a probe never takes the training loss's
        blue (once all are taken, the palette goes round again)."""
        for _ in PALETTE:
            color = next(self._colors)
            if color not in taken:
                return color
        return next(self._colors)

    def add_series(
        self,
        name: str,
        plot: str = "loss",
        color: str | QColor | None = None,
        smoothing: bool = False,
        symbol: str | None = None,
    ) -> None:
        """A named curve in ``plot`` (created on demand). With ``smoothing`` the raw points
        are drawn faint and their moving average bold; ``symbol`` marks sparse points ("o")."""
        if name in self._series:
            return
        plot_item = self.add_plot(plot, plot)
        taken = self._colors_taken.setdefault(plot, set())
        qcolor = QColor(color or self._free_color(taken))
        taken.add(qcolor.name())
        if smoothing:
            raw_item = _curve_item(None, _pen(qcolor, width=1.0, alpha=70), symbol)
            smoothed_item = _curve_item(name, _pen(qcolor, width=2.0), None)
        else:
            raw_item = _curve_item(name, _pen(qcolor, width=1.5), symbol)
            smoothed_item = None
        for item in (raw_item, smoothed_item):
            if item is not None:
                plot_item.addItem(item)  # takes the plot's log mode
        self._fit_minimum_height()
        self._series[name] = _Series(
            name=name,
            plot_key=plot,
            color=qcolor,
            smoothing=smoothing,
            points=_GrowingBuffer(len(self._x_axes) + 1),
            raw_item=raw_item,
            smoothed_item=smoothed_item,
        )

    def series_names(self) -> list[str]:
        return list(self._series)

    # ----- feeding points ----------------------------------------------------------

    def append(self, name: str, x: float | Sequence[float], y: float) -> None:
        """One point. ``x`` is one number, or one per x axis in the order given at construction."""
        self.extend(name, np.reshape(np.asarray(x, dtype=np.float64), (1, -1)), [y])

    def extend(self, name: str, xs: Iterable[float] | np.ndarray, ys: Iterable[float] | np.ndarray) -> None:
        """Many points: ``xs`` is (N,) with one x axis, or (N, number of x axes)."""
        series = self._series[name]
        ys = np.asarray(ys, dtype=np.float64).reshape(-1)
        xs = np.asarray(xs, dtype=np.float64).reshape(len(ys), -1)  # (N, axes)
        if xs.shape[1] != len(self._x_axes):
            raise ValueError(f"{name}: expected {len(self._x_axes)} x values per point, got {xs.shape[1]}")
        series.points.extend(np.column_stack([xs, ys]))  # (N, axes + 1)
        series.dirty = True
        self._schedule_redraw()

    def points(self, name: str) -> np.ndarray:
        """The points of a live series: (N, number of x axes + 1), the y value last."""
        return self._series[name].points.view().copy()

    def smoothed(self, name: str) -> np.ndarray:
        """The moving average of a smoothed series at the current smoothing (brings it up to date)."""
        return self._update_smoothed(self._series[name]).copy()

    def latest(self, name: str) -> float | None:
        view = self._series[name].points.view()
        return float(view[-1, -1]) if len(view) else None

    def raw_item(self, name: str) -> pg.PlotDataItem:
        return self._series[name].raw_item

    def smoothed_item(self, name: str) -> pg.PlotDataItem | None:
        return self._series[name].smoothed_item

    def clear(self) -> None:
        """Forget the live points (overlays of earlier runs stay)."""
        for series in self._series.values():
            series.points.clear()
            series.smoothed = np.empty(0)
            series.dirty = True
        self._redraw_dirty()

    # ----- drawing -----------------------------------------------------------------

    def flush(self) -> None:
        """Redraw now every series that received points since the last redraw."""
        self._schedule_redraw.flush(restart_timer=False)

    def _redraw_dirty(self) -> None:
        for series in self._series.values():
            if series.dirty:
                self._draw_series(series)
        self._enable_export()

    def _draw_series(self, series: _Series) -> None:
        view = series.points.view()
        x = view[:, self._x_index]
        series.raw_item.setData(x, view[:, -1])
        if series.smoothed_item is not None:
            series.smoothed_item.setData(x, self._update_smoothed(series))
        series.dirty = False

    def _update_smoothed(self, series: _Series) -> np.ndarray:
        y = series.points.view()[:, -1]
        done = len(series.smoothed)
        if done < len(y):
            previous = float(series.smoothed[-1]) if done else None
            tail = exponential_moving_average(y[done:], self._smoothing, previous)
            series.smoothed = np.concatenate([series.smoothed, tail])
        return series.smoothed

    def _redraw_all(self) -> None:
        for series in self._series.values():
            series.dirty = True
        self._redraw_dirty()
        for overlay in self._overlays:
            self._draw_overlay(overlay)

    def _label_bottom_axis(self) -> None:
        """The first row of plots numbers its x axis too, not only the last row, which names it: the plots scroll,
        and the last is often out of view. Those between share the numbers (a row of them each would take the
        height a heatmap under the plots needs on a small screen)."""
        last_row = self._places[-1][0] if self._places else 0
        for plot, (plot_row, _) in zip(self._plots.values(), self._places):
            last = plot_row == last_row
            plot.getAxis("bottom").setStyle(showValues=plot_row == 0 or last)
            plot.setLabel("bottom", self._x_axes[self._x_index].label if last else "")

    # ----- hover readout ---------------------------------------------------------------

    def readout_at(self, x: float, plot_key: str | None = None) -> str:
        """Each live series' value (of plot ``plot_key`` alone, when given) at its point nearest to ``x`` (in the
        current x axis's units); empty when no series has points yet."""
        header_x, parts = None, []
        for series in self._series.values():
            view = series.points.view()
            if not len(view) or plot_key not in (None, series.plot_key):
                continue
            index = self._nearest_index(view[:, self._x_index], x)
            point_x, value = view[index, self._x_index], view[index, -1]
            if header_x is None:
                header_x = point_x
            if series.smoothing:
                part = self.tr("{name} {value} (smoothed {smoothed})").format(
                    name=series.name, value=_number(value), smoothed=_number(self._update_smoothed(series)[index])
                )
            else:
                part = f"{series.name} {_number(value)}"
            if point_x != header_x:  # sparse series (validation loss) say where their nearest point is
                part += " " + self.tr("at {x}").format(x=_number(point_x))
            parts.append(part)
        if header_x is None:
            return ""
        return f"{self.x_axis.label} {_number(header_x)}: " + " · ".join(parts)

    def _nearest_index(self, xs: np.ndarray, x: float) -> int:
        """Nearest as the eye sees it: in log10 units when the x axis is logarithmic."""
        if self._log_x:
            with np.errstate(invalid="ignore", divide="ignore"):
                xs, x = np.log10(xs), math.log10(x) if x > 0 else -math.inf
        distance = np.nan_to_num(np.abs(xs - x), nan=np.inf)
        return int(np.argmin(distance))

    def _show_readout_at(self, scene_pos: QPointF) -> None:
        hovered = [key for key, plot in self._plots.items()
                   if plot.getViewBox().sceneBoundingRect().contains(scene_pos)]
        if not hovered:
            return
        view_x = self._plots[hovered[0]].getViewBox().mapSceneToView(scene_pos).x()  # log10(x) on a log axis
        for line in self._cursor_lines:
            line.setPos(view_x)
            line.setVisible(True)
        # The hovered plot's series only: forty heads' scores after the losses left the losses unread.
        text = self.readout_at(10.0**view_x if self._log_x else view_x, hovered[0])
        self.readout.setText(text or self._readout_hint)  # a plot with no points yet: nothing to read there
        self.readout.setToolTip(literal(text))  # whole, where the line elides it

    def _clear_readout(self) -> None:
        self._schedule_readout.cancel()
        for line in self._cursor_lines:
            line.setVisible(False)
        self.readout.setText(self._readout_hint)
        self.readout.setToolTip("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._graphics and event.type() == QEvent.Type.Leave:
            self._clear_readout()
        return super().eventFilter(watched, event)

    # ----- view options --------------------------------------------------------------

    @property
    def x_axis(self) -> XAxis:
        return self._x_axes[self._x_index]

    def set_x_axis(self, key: str) -> None:
        index = next(i for i, axis in enumerate(self._x_axes) if axis.key == key)
        self.x_axis_combo.setCurrentIndex(index)  # calls set_x_axis_index through the signal

    def set_x_axis_index(self, index: int) -> None:
        if index == self._x_index or not 0 <= index < len(self._x_axes):
            return
        self._x_index = index
        for plot in self._plots.values():
            plot.getAxis("bottom").whole = self.x_axis.whole
        self._label_bottom_axis()
        self._redraw_all()
        for plot in self._plots.values():
            plot.enableAutoRange()

    def set_log_x(self, on: bool) -> None:
        self._log_x = on
        self._apply_log_mode()

    def set_log_y(self, on: bool) -> None:
        self._log_y = on
        self._apply_log_mode()

    def _apply_log_mode(self) -> None:
        for plot in self._plots.values():
            plot.setLogMode(self._log_x, self._log_y)
            plot.enableAutoRange()

    def set_smoothing(self, smoothing: float) -> None:
        self._smoothing = min(max(float(smoothing), 0.0), 0.99)
        for series in self._series.values():
            series.smoothed = np.empty(0)  # recomputed from the start with the new weight
        self._redraw_all()

    @property
    def smoothing(self) -> float:
        return self._smoothing

    # ----- overlays of earlier runs --------------------------------------------------

    def keep_as_overlay(self, label: str) -> None:
        """Dim the live curves into an overlay called ``label`` and start the live series empty. The overlays
        then stop setting the view's range: a new run starting at step 0 beside a long one would be a few
        pixels at the left edge; the view follows it, and the overlays are drawn as far as it reaches."""
        kept = {name: s.points.view().copy() for name, s in self._series.items() if len(s.points)}
        earlier = [(overlay.label, overlay.series) for overlay in self._overlays]
        if kept:
            earlier.append((label, kept))
        self.clear_overlays()  # drawn again, out of the range (pyqtgraph cannot change that of an item it holds)
        for overlay_label, series in earlier:
            self.add_overlay(overlay_label, series, sets_range=False)
        self.clear()

    def add_overlay(self, label: str, series: Mapping[str, np.ndarray], sets_range: bool = True) -> None:
        """Show an earlier run, dimmed: ``series`` maps a known series name to its points
        (N, number of x axes + 1); an x column of NaN means that axis is unknown for it. ``sets_range``: the
        view's range takes it in, as it does the live curves."""
        dash = OVERLAY_DASHES[len(self._overlays) % len(OVERLAY_DASHES)]
        items: dict[str, pg.PlotDataItem] = {}
        legend_samples: dict[str, pg.PlotDataItem] = {}
        for name in series:
            if name not in self._series:
                continue
            live = self._series[name]
            # Width 1: Qt strokes a wider line ~6 times slower, and every earlier run's curves are drawn at each redraw.
            item = _curve_item(None, _pen(live.color, width=1.0, alpha=110, style=dash), None)
            item.setZValue(-1)  # behind the live curves
            plot = self._plots[live.plot_key]
            plot.addItem(item, ignoreBounds=not sets_range)
            items[name] = item
            if live.plot_key not in legend_samples:
                sample = pg.PlotDataItem(pen=_pen(QColor(OVERLAY_LEGEND_COLOR), width=1.0, style=dash))
                plot.legend.addItem(sample, self.tr("{0} (dashed, same colours)").format(label))
                legend_samples[live.plot_key] = sample
        overlay = _Overlay(label=label, series={n: np.asarray(series[n], dtype=np.float64) for n in items}, items=items,
                           legend_samples=legend_samples)
        self._overlays.append(overlay)
        self._draw_overlay(overlay)
        self.clear_overlays_button.setEnabled(True)
        self._enable_export()
        self._fit_minimum_height()

    def _draw_overlay(self, overlay: _Overlay) -> None:
        for name, item in overlay.items.items():
            points = overlay.series[name]
            x = points[:, self._x_index]
            known = np.isfinite(x)
            y = points[known, -1]
            if self._series[name].smoothing:
                y = exponential_moving_average(y, self._smoothing)
            item.setData(x[known], y)

    def overlay_labels(self) -> list[str]:
        return [overlay.label for overlay in self._overlays]

    def clear_overlays(self) -> None:
        for overlay in self._overlays:
            for name, item in overlay.items.items():
                self._plots[self._series[name].plot_key].removeItem(item)
            for key, sample in overlay.legend_samples.items():
                self._plots[key].legend.removeItem(sample)
        self._overlays.clear()
        self.clear_overlays_button.setEnabled(False)
        self._enable_export()
        self._fit_minimum_height()

    # ----- export --------------------------------------------------------------------

    def export_csv(self, path: str | Path) -> None:
        """Every point of the live series and the overlays: ``run, series, <x axes>, value``."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["run", "series", *(axis.key for axis in self._x_axes), "value"])
        runs = [(CURRENT_RUN, {n: s.points.view() for n, s in self._series.items()})]
        runs += [(overlay.label, overlay.series) for overlay in self._overlays]
        wholes = [axis.whole for axis in self._x_axes] + [False]  # steps and token counts written as 768, not 768.0
        for run, series in runs:
            for name, points in series.items():
                writer.writerows([run, name, *map(_csv_number, row, wholes)] for row in points)
        write_bytes_atomic(Path(path), text.getvalue().encode("utf-8"))

    def export_png(self, path: str | Path) -> None:
        self.flush()
        save_image(self._graphics.grab(), Path(path))

    def _ask_export_csv(self) -> None:
        ask_and_save(self, self.tr("Export curves"), "curves.csv", self.tr("CSV files (*.csv)"), self.export_csv,
                     self._show_export_result)

    def _ask_export_png(self) -> None:
        ask_and_save(self, self.tr("Export image"), "curves.png", self.tr("PNG images (*.png)"), self.export_png,
                     self._show_export_result)

    def _show_export_result(self, message: str, is_error: bool) -> None:
        """In the readout line, until the mouse next reads a plot: a save is no reason for a dialog."""
        self.readout.setText(message)


def _number(value: float) -> str:
    """Whole numbers (steps, epochs) as integers, the rest with four significant digits."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"


def _csv_number(value: float, whole: bool = False) -> str:
    if math.isnan(value):
        return ""
    return str(int(value)) if whole and value == round(value) else repr(float(value))


def read_curves_csv(path: str | Path) -> dict[tuple[str, str], np.ndarray]:
    """Read a file written by ``export_csv``: (run, series) -> points (N, x axes + 1)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = len(header) - 2
        grouped: dict[tuple[str, str], list[list[float]]] = {}
        for row in reader:
            values = [float(cell) if cell else math.nan for cell in row[2:]]
            if len(values) != columns:
                raise InvalidInputError(QT_TRANSLATE_NOOP(
                    "Errors", "{path} is not a curves file: a row has {count} values, not {columns}.").fill(
                        path=path, count=len(values), columns=columns))
            grouped.setdefault((row[0], row[1]), []).append(values)
    return {key: np.asarray(rows, dtype=np.float64) for key, rows in grouped.items()}
