"""LiveCurvesWidget: points arrive, curves draw, smoothing, axes, overlays and export."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from workbench.qt.common.curves import (
    CURRENT_RUN,
    PALETTE,
    PLOT_MIN_HEIGHT,
    LiveCurvesWidget,
    XAxis,
    exponential_moving_average,
    read_curves_csv,
)

AXES = (XAxis("step", "Step", whole=True), XAxis("tokens", "Tokens seen", whole=True), XAxis("time", "Time (s)"))


@pytest.fixture
def curves(qtbot):
    widget = LiveCurvesWidget(AXES)
    widget.add_plot("loss", "Loss", stretch=3)
    widget.add_plot("lr", "Learning rate")
    widget.add_series("train loss", plot="loss", smoothing=True)
    widget.add_series("val loss", plot="loss", symbol="o")
    widget.add_series("lr", plot="lr")
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    return widget


def _feed(widget: LiveCurvesWidget, steps: np.ndarray, losses: np.ndarray) -> None:
    xs = np.column_stack([steps, steps * 768, steps * 0.05])  # (N, 3): step, tokens, seconds
    widget.extend("train loss", xs, losses)


def test_hand_computed_ema():
    values = np.array([4.0, 2.0, 3.0, 1.0, 5.0])
    expected, previous = [], values[0]
    for value in values:
        previous = 0.6 * previous + 0.4 * value
        expected.append(previous)
    np.testing.assert_allclose(exponential_moving_average(values, 0.6), expected)
    # Smoothing in two pieces gives the same curve as in one.
    head = exponential_moving_average(values[:2], 0.6)
    tail = exponential_moving_average(values[2:], 0.6, previous=head[-1])
    np.testing.assert_allclose(np.concatenate([head, tail]), expected)
    np.testing.assert_array_equal(exponential_moving_average(values, 0.0), values)


def test_ema_of_a_few_points_by_hand():
    values = np.array([4.0, 2.0, 6.0, 0.0])
    # 0.5 * previous + 0.5 * value, from the first value: 4, then 3, 4.5, 2.25.
    np.testing.assert_allclose(exponential_moving_average(values, 0.5), [4.0, 3.0, 4.5, 2.25])
    np.testing.assert_allclose(exponential_moving_average(values, 0.5, previous=2.0), [3.0, 2.5, 4.25, 2.125])


@pytest.mark.parametrize("smoothing", [0.05, 0.6, 0.99])
def test_ema_of_a_long_series_follows_the_recurrence(smoothing):
    values = np.random.default_rng(1).uniform(0, 10, size=5000)
    expected, previous = np.empty_like(values), 7.0
    for index, value in enumerate(values):
        previous = smoothing * previous + (1 - smoothing) * value
        expected[index] = previous
    np.testing.assert_allclose(exponential_moving_average(values, smoothing, previous=7.0), expected, rtol=1e-12)


def test_closing_draws_the_points_held_back_and_stops_the_throttle(curves):
    _feed(curves, np.arange(1, 11, dtype=float), np.linspace(3, 2, 10))
    assert curves.raw_item("train loss").getData()[0] is None  # held back by the throttle
    curves.close()
    assert len(curves.raw_item("train loss").getData()[0]) == 10
    assert not [timer for timer in curves.findChildren(QTimer) if timer.isActive()]


def test_points_arrive_and_draw_at_most_ten_times_a_second(curves, qtbot):
    steps = np.arange(1, 501, dtype=float)
    losses = 4.0 * np.exp(-steps / 200) + 1.0
    _feed(curves, steps, losses)
    curves.append("val loss", [250, 250 * 768, 12.5], 2.5)
    curves.append("lr", [1, 768, 0.05], 1e-3)
    assert curves.raw_item("train loss").getData()[0] is None  # buffered, not drawn yet
    qtbot.waitUntil(lambda: curves.raw_item("train loss").getData()[0] is not None, timeout=2000)
    x, y = curves.raw_item("train loss").getData()
    assert len(x) == 500
    np.testing.assert_array_equal(y, losses)
    smoothed_x, smoothed_y = curves.smoothed_item("train loss").getData()
    np.testing.assert_allclose(smoothed_y, exponential_moving_average(losses, curves.smoothing))
    assert len(curves.raw_item("val loss").getData()[0]) == 1
    assert curves.latest("lr") == pytest.approx(1e-3)


def test_ema_follows_the_slider_and_incremental_points(curves):
    rng = np.random.default_rng(0)
    losses = rng.uniform(1, 3, size=300)
    steps = np.arange(300, dtype=float)
    _feed(curves, steps[:100], losses[:100])
    curves.flush()
    _feed(curves, steps[100:], losses[100:])
    curves.flush()
    np.testing.assert_allclose(curves.smoothed_item("train loss").getData()[1], exponential_moving_average(losses, 0.6))
    curves.smoothing_slider.setValue(0.9)
    assert curves.smoothing == pytest.approx(0.9)
    np.testing.assert_allclose(curves.smoothed_item("train loss").getData()[1], exponential_moving_average(losses, 0.9))


def test_x_axis_switch_redraws_with_the_chosen_column(curves):
    steps = np.arange(1, 101, dtype=float)
    _feed(curves, steps, np.linspace(3, 1, 100))
    curves.flush()
    np.testing.assert_array_equal(curves.raw_item("train loss").getData()[0], steps)
    curves.x_axis_combo.setCurrentIndex(1)
    assert curves.x_axis.key == "tokens"
    np.testing.assert_array_equal(curves.raw_item("train loss").getData()[0], steps * 768)
    curves.set_x_axis("time")
    np.testing.assert_allclose(curves.smoothed_item("train loss").getData()[0], steps * 0.05)


def test_log_axes_apply_to_every_plot(curves):
    curves.log_y_box.setChecked(True)
    curves.log_x_box.setChecked(True)
    _feed(curves, np.arange(0, 50, dtype=float), np.linspace(3, 1, 50))  # step 0: log10(0) must not break drawing
    curves.flush()
    assert curves.raw_item("train loss").opts["logMode"] == [True, True]
    assert curves.raw_item("lr").opts["logMode"] == [True, True]


def test_overlay_keeps_the_previous_run_dimmed(curves):
    _feed(curves, np.arange(1, 11, dtype=float), np.linspace(3, 2, 10))
    curves.flush()
    curves.keep_as_overlay("run 1")
    assert curves.overlay_labels() == ["run 1"]
    assert len(curves.points("train loss")) == 0
    assert curves.clear_overlays_button.isEnabled()
    # One legend entry a plot for the whole earlier run: its curves keep their series' colours, dashed.
    legend_names = [label.text for _, label in curves._plots["loss"].legend.items]
    assert legend_names == ["train loss", "val loss", "run 1 (dashed, same colours)"]
    curves.clear_overlays()
    assert curves.overlay_labels() == []
    assert not curves.clear_overlays_button.isEnabled()
    assert [label.text for _, label in curves._plots["loss"].legend.items] == ["train loss", "val loss"]


def test_a_new_short_run_beside_a_long_one_fills_the_view(curves, qtbot):
    view = curves.plot("loss").getViewBox()
    _feed(curves, np.arange(1, 701, dtype=float), np.linspace(3, 2, 700))
    curves.flush()
    qtbot.waitUntil(lambda: view.viewRange()[0][1] >= 700, timeout=5_000)
    curves.keep_as_overlay("run 1")
    _feed(curves, np.arange(1, 21, dtype=float), np.linspace(3, 2.5, 20))
    curves.flush()
    qtbot.waitUntil(lambda: view.viewRange()[0][1] < 100, timeout=5_000)  # fits the 20 steps, not the 700
    curves.add_overlay("compared", {"train loss": np.column_stack([np.arange(1, 301.0), np.full(300, np.nan),
                                                                   np.arange(1, 301.0), np.full(300, 2.0)])})
    qtbot.waitUntil(lambda: view.viewRange()[0][1] >= 300, timeout=5_000)  # a run asked for is shown whole


def test_export_csv_and_png_reload_equal(curves, tmp_path):
    steps = np.arange(1, 201, dtype=float)
    losses = np.linspace(4, 1.5, 200)
    _feed(curves, steps, losses)
    curves.append("val loss", [200, 200 * 768, 10.0], 1.7)
    curves.add_overlay("earlier", {"train loss": np.column_stack([steps, np.full(200, np.nan), steps, losses + 1])})
    csv_path, png_path = tmp_path / "curves.csv", tmp_path / "curves.png"
    curves.export_csv(csv_path)
    curves.export_png(png_path)

    table = read_curves_csv(csv_path)
    assert f"\n{CURRENT_RUN},val loss,200,153600,10.0,1.7\n" in csv_path.read_text()  # counts as counts
    np.testing.assert_array_equal(table[(CURRENT_RUN, "train loss")], curves.points("train loss"))
    np.testing.assert_array_equal(table[(CURRENT_RUN, "val loss")], curves.points("val loss"))
    assert np.isnan(table[("earlier", "train loss")][:, 1]).all()
    np.testing.assert_array_equal(table[("earlier", "train loss")][:, -1], losses + 1)

    image = QImage(str(png_path))
    assert not image.isNull()
    assert image.width() > 100 and image.height() > 100


def test_hover_readout_shows_each_curve_at_the_nearest_point(curves, qtbot):
    steps = np.arange(1, 11, dtype=float)
    _feed(curves, steps, 10.0 - steps)  # train loss at step s is 10 - s
    curves.extend("val loss", np.column_stack([[5.0], [5.0 * 768], [0.25]]), [4.5])
    curves.extend("lr", np.column_stack([steps, steps * 768, steps * 0.05]), steps / 1000)
    curves.flush()
    smoothed = curves.smoothed("train loss")[6]
    expected = f"Step 7: train loss 3 (smoothed {smoothed:.4g}) · val loss 4.5 at 5"
    assert curves.readout_at(7.2, "loss") == expected
    assert curves.readout_at(7.2) == expected + " · lr 0.007"  # every plot's
    # The same through the mouse: the readout follows the cursor over the plot.
    view = curves._plots["loss"].getViewBox()
    qtbot.waitUntil(lambda: view.viewRange()[0][0] < 7.2 < view.viewRange()[0][1])  # auto-range has run
    scene_pos = view.mapViewToScene(QPointF(7.2, 5.0))
    qtbot.mouseMove(curves._graphics.viewport(), curves._graphics.mapFromScene(scene_pos))
    qtbot.waitUntil(lambda: curves.readout.text() == expected, timeout=2000)  # the hovered plot's series
    assert curves.readout.toolTip() == expected  # whole, where the line elides it
    lr_view = curves._plots["lr"].getViewBox()
    curves.clear()  # no points anywhere: hovering a plot says so rather than keep the old step's values
    curves._show_readout_at(lr_view.mapViewToScene(QPointF(7.2, 0.005)))
    assert curves.readout.text().startswith("Hover over a plot")
    QApplication.sendEvent(curves._graphics, QEvent(QEvent.Type.Leave))  # the mouse leaves the plots
    assert curves.readout.text().startswith("Hover over a plot") and curves.readout.toolTip() == ""


def test_plots_keep_their_height_legends_and_plain_axis_units(qtbot):
    widget = LiveCurvesWidget(AXES)
    for key in ("loss", "lr", "grad"):
        widget.add_plot(key, key)
    for name in ("train loss", "val loss", "lr", "grad norm"):
        widget.add_series(name, plot="grad" if name == "grad norm" else "lr" if name == "lr" else "loss")
    qtbot.addWidget(widget)
    widget.resize(600, 300)  # too small for three plots: they scroll instead of squashing
    widget.show()
    qtbot.waitUntil(lambda: all(p.getViewBox().height() >= PLOT_MIN_HEIGHT for p in widget._plots.values()))
    for plot in widget._plots.values():
        for axis in ("left", "bottom"):
            assert "(x" not in plot.getAxis(axis).labelString()  # empty plots too: no "Step (x0.001)"
        # The legend sits in the row above the data, not over the curves.
        assert plot.legend.sceneBoundingRect().bottom() <= plot.getViewBox().sceneBoundingRect().top()
    assert [label.text for _, label in widget._plots["loss"].legend.items] == ["train loss", "val loss"]
    # The first plot numbers its steps as the last does: the last is often scrolled out of view.
    assert [plot.getAxis("bottom").style["showValues"] for plot in widget._plots.values()] == [True, False, True]


def test_the_first_plot_stays_whole_in_view_when_the_widget_is_squeezed(qtbot):
    """However short the widget, the loss plot shows whole with its legend, even one wrapped onto two rows;
    the plots under it scroll."""
    widget = LiveCurvesWidget(AXES)
    for key in ("loss", "lr", "heads"):
        widget.add_plot(key, key)
    for name in ("train loss", "validation loss", "probe 1 loss", "probe 2 loss", "probe 3 loss"):
        widget.add_series(name, plot="loss")
    widget.add_series("lr", plot="lr")
    qtbot.addWidget(widget)
    widget.resize(700, 100)  # below its minimum: it takes the minimum
    widget.show()
    loss = widget.plot("loss")
    qtbot.waitUntil(lambda: loss.legend.columnCount < len(loss.legend.items))  # wrapped onto a second row
    qtbot.wait(50)
    viewport = widget._scroll.viewport()
    bottom = widget._graphics.mapFromScene(loss.sceneBoundingRect().bottomLeft())
    assert widget._graphics.mapTo(viewport, bottom).y() <= viewport.height()
    assert widget._scroll.verticalScrollBar().maximum() > 0  # the others scroll


def test_series_without_a_colour_avoid_the_ones_given(qtbot):
    widget = LiveCurvesWidget(AXES)
    qtbot.addWidget(widget)
    widget.add_plot("loss", "Loss")
    widget.add_series("train loss", plot="loss", color=PALETTE[0])
    widget.add_series("val loss", plot="loss", color=PALETTE[2])
    widget.add_plot("heads", "Heads")
    for head in range(8):  # another plot's series go round the palette first
        widget.add_series(f"head {head}", plot="heads")
    for probe in range(3):
        widget.add_series(f"probe {probe}", plot="loss")
    loss_colors = [widget._series[name].color.name() for name in ("train loss", "val loss", "probe 0", "probe 1",
                                                                   "probe 2")]
    assert len(set(loss_colors)) == 5


def test_a_legend_with_long_overlay_names_wraps_within_the_width(curves, qtbot):
    legend = curves._plots["loss"].legend
    assert legend.columnCount == len(legend.items)  # short names: all in one row

    def right_edge() -> float:
        curves._graphics.ci.layout.activate()
        return max(label.mapRectToScene(QRectF(0, 0, label.preferredWidth(), 1)).right() for _, label in legend.items)

    _feed(curves, np.arange(1, 11, dtype=float), np.linspace(3, 2, 10))
    curves.extend("val loss", np.array([[10.0, 7680.0, 0.5]]), [2.1])
    curves.flush()
    # Too wide for one row with the two live entries.
    curves.keep_as_overlay("gpt-tang300-20261127-104603, 6 layers of 384 wide, lr 3e-4, block 256, batch 64")
    narrow = legend.columnCount
    assert len(legend.items) == 3 and narrow < 3
    assert right_edge() <= curves._graphics.viewport().width(), (right_edge(), narrow)
    curves.resize(1800, 500)  # room again: more entries a row
    qtbot.waitUntil(lambda: legend.columnCount > narrow, timeout=2_000)
    assert right_edge() <= curves._graphics.viewport().width()


def test_steps_are_ticked_at_whole_numbers_and_seconds_anywhere(curves):
    def ticks() -> list[float]:
        axis = curves.plot("loss").getAxis("bottom")
        return [value for _, values in axis.tickValues(1.0, 3.0, 600) for value in values]

    axis = curves.plot("loss").getAxis("bottom")
    assert ticks() and all(value == round(value) for value in ticks())  # steps 1, 2, 3: never 1.5
    assert [axis.tickStrings(values, 1.0, spacing) for spacing, values in axis.tickValues(1.0, 3.0, 600)] == [
        ["1", "2", "3"]]  # not "1.0"
    curves.set_log_x(True)
    assert any(values for _, values in axis.tickValues(2.3, 2.9, 600))  # steps 200 to 800 on a log axis
    curves.set_log_x(False)
    curves.set_x_axis("time")
    assert any(value != round(value) for value in ticks())  # 1.5 s is a time


def test_export_waits_for_a_point_to_save(curves, qtbot):
    assert not any(button.isEnabled() for button in curves.export_buttons)  # an empty table, a blank image
    curves.append("train loss", [1, 768, 0.05], 4.0)
    curves.flush()
    assert all(button.isEnabled() for button in curves.export_buttons)
    curves.clear()
    assert not any(button.isEnabled() for button in curves.export_buttons)


def test_the_export_buttons_save_where_asked_and_say_how_it_went_in_the_readout(curves, tmp_path, monkeypatch):
    """A failed export was a modal warning box; it is one line, as every other save of the window says it."""
    from PySide6.QtWidgets import QFileDialog

    curves.append("train loss", [1, 768, 0.05], 4.0)
    curves.flush()
    chosen = [str(tmp_path / "curves"), str(tmp_path / "no-such-folder" / "curves.png")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (chosen.pop(0), ""))
    export_csv, export_png = curves.export_buttons
    export_csv.click()
    assert read_curves_csv(tmp_path / "curves.csv")[(CURRENT_RUN, "train loss")].tolist() == [[1, 768, 0.05, 4.0]]
    assert curves.readout.text() == f"Saved {tmp_path / 'curves.csv'}"  # the suffix a name typed without one gets
    export_png.click()
    assert curves.readout.text().startswith(f"Could not write the image {tmp_path / 'no-such-folder'}")


def test_the_training_plots_are_never_squeezed_to_nothing(qtbot):
    """The plots were now and then seen squeezed to 0 under the samples at 1366x768: a splitter keeps a child
    it was once given 0 collapsed, however tall it grows. Neither the page's own sizing nor a drag can now."""
    from workbench.qt.training.curves import TrainingCurves

    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.resize(1000, 620)  # under SIDE_BY_SIDE_MIN_WIDTH: the samples go under the plots
    curves.show()
    qtbot.waitExposed(curves)
    plots, tabs = curves.splitter.sizes()
    assert plots >= tabs > 0, (plots, tabs)
    curves.splitter.setSizes([0, 620])
    assert curves.splitter.sizes()[0] > 0
