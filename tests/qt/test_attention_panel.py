"""The Attention panel on a tiny random Llama: views, hover, clicks, generation follow-up, exports."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF

from workbench.core.attention import capture_attention
from workbench.core.catalog import FOLDER, ModelEntry
from workbench.core.head_scores import head_scores
from workbench.core.loading import LoadedModel
from workbench.qt.attention.overview import score_color
from workbench.qt.attention.panel import AttentionPanel
from workbench.qt.attention.token_view import BARS_MIN_HEIGHT
from workbench.qt.common.app_state import AppState
from workbench.qt.common.theme import SELECTION_COLOR

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture
def panel(show_panel, state):
    return show_panel(AttentionPanel, state, 1200, 800)


@pytest.fixture
def captured(panel, tiny_loaded):
    capture = capture_attention(tiny_loaded, tiny_loaded.tokenizer(TEXT)["input_ids"])
    panel.show_capture(capture)
    return capture


def _cell_viewport_pos(panel, row: int, column: int):
    heatmap = panel.heatmap
    scene_pos = heatmap.plot.getViewBox().mapViewToScene(QPointF(column, row))
    return heatmap.mapFromScene(scene_pos)


def test_layer_head_and_aggregation_change_the_matrix(panel, captured):
    panel.layer_slider.setValue(1)
    panel.head_spin.setValue(2)
    panel.flush_redraw()
    np.testing.assert_array_equal(panel.heatmap.matrix, captured.main.weights[1, 2])
    panel.aggregation_combo.setCurrentIndex(panel.aggregation_combo.findData("rollout"))
    panel.flush_redraw()
    np.testing.assert_allclose(panel.heatmap.matrix, captured.main.matrix(1, "rollout"))
    assert not panel.head_spin.isEnabled()
    # The causal upper triangle is covered by the empty-cell mask; the diagonal and below are not.
    mask = panel.heatmap.mask_item.path()
    assert mask.contains(QPointF(1, 0)) and mask.contains(QPointF(5, 2))
    assert not mask.contains(QPointF(0, 0)) and not mask.contains(QPointF(2, 5))


def test_sink_and_log_options_change_the_drawn_image(panel, captured):
    panel.sink_check.setChecked(True)
    panel.log_check.setChecked(True)
    panel.flush_redraw()
    drawn = panel.heatmap.image.image
    assert panel.heatmap.mask_item.path().contains(QPointF(0, 7))  # first column hidden
    assert np.isclose(drawn[3, 2], np.log10(max(panel.heatmap.matrix[3, 2], 1e-4)))
    # The colour scale ignores the hidden column, so the rest of the matrix uses all the colours.
    assert np.isclose(panel.heatmap.color_bar.levels()[1], np.log10(panel.heatmap.matrix[:, 1:].max()))


def test_a_hidden_first_token_keeps_its_true_weight_in_the_texts_tooltip(qtbot, panel, captured):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    panel.sink_check.setChecked(True)
    panel.select_query(5)
    panel.flush_redraw()
    true_weight = float(panel.heatmap.matrix[5, 0])
    view, strip = panel.token_view, panel.token_view.strip
    assert true_weight > 0 and view.weights[0] == 0 and strip.strength[0] == 0  # no bar, no colour
    position = strip.rects[0].center()
    strip.event(QHelpEvent(QEvent.Type.ToolTip, position, strip.mapToGlobal(position)))
    assert QToolTip.text() == f"{strip.texts[0]!r}: {true_weight:.4f} (hidden from the bars and colours)"


def test_hover_shows_query_key_and_weight(qtbot, panel, captured):
    labels = captured.main.queries.labels
    qtbot.mouseMove(panel.heatmap.viewport(), _cell_viewport_pos(panel, 5, 2))
    qtbot.waitUntil(lambda: "→" in panel.hover_label.text(), timeout=2000)
    weight = captured.main.weights[0, 0, 5, 2]
    assert panel.hover_label.text() == f"{labels[5]} → {labels[2]}: {weight:.4f}" == panel.heatmap.toolTip()


def test_clicking_a_heatmap_row_or_a_text_token_shows_that_query(qtbot, panel, captured):
    qtbot.mouseClick(panel.heatmap.viewport(), Qt.MouseButton.LeftButton, pos=_cell_viewport_pos(panel, 4, 1))
    assert panel.query == 4
    np.testing.assert_allclose(panel.token_view.weights, captured.main.weights[0, 0, 4])
    strip = panel.token_view.strip
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.rects[6].center())
    assert panel.query == 6 and strip.query == 6
    assert np.isclose(strip.strength.max(), 1.0)  # the strongest key gets the full highlight
    np.testing.assert_allclose(panel.token_view.bars.opts["height"], captured.main.weights[0, 0, 6])
    assert "(position 6)" in panel.token_view.title.text()
    # The arrow keys move the query as clicks would; the heatmap is one Tab stop, ringed while it has the keys.
    qtbot.keyClick(panel.heatmap, Qt.Key.Key_Down)
    assert panel.query == 7 and panel.heatmap.selected[0] == 7
    qtbot.keyClick(panel.heatmap, Qt.Key.Key_Up)
    qtbot.keyClick(panel.heatmap, Qt.Key.Key_Left)
    assert panel.query == 5
    assert panel.heatmap.focusPolicy() == Qt.FocusPolicy.StrongFocus

    def ringed() -> bool:
        image = panel.heatmap.grab().toImage()
        edge = panel.heatmap.frameWidth() + 1  # the viewport's edge, inside the view's frame
        return image.pixelColor(edge, image.height() // 2).name() == SELECTION_COLOR.lower()

    panel.heatmap.clearFocus()  # a click gave it the keys
    assert not ringed()
    panel.heatmap.setFocus()
    qtbot.waitUntil(panel.heatmap.hasFocus)
    assert ringed()


def test_overview_is_lazy_and_a_click_opens_the_head(qtbot, panel, captured):
    assert panel.overview.thumbnails_made == 0  # nothing drawn before the tab is shown
    panel.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.overview.thumbnails_made == 8, timeout=2000)
    cell = panel.overview._cell_rect(1, 3).center()
    qtbot.mouseClick(panel.overview, Qt.MouseButton.LeftButton, pos=cell)
    assert panel.tabs.currentIndex() == 0
    assert (panel.layer_slider.value(), panel.head_view()) == (1, 3)
    np.testing.assert_array_equal(panel.heatmap.matrix, captured.main.weights[1, 3])


def test_a_wide_overview_lays_its_layers_in_blocks_side_by_side():
    """30 layers of 9 heads in one column used a third of a full HD screen and scrolled for ever."""
    from workbench.core.attention import SELF, AttentionMap
    from workbench.core.attention_tokens import TokenSequence
    from workbench.qt.attention.overview import OverviewGrid

    grid = OverviewGrid()
    layers, heads = 30, 9
    weights = np.tril(np.ones((layers, heads, 6, 6), dtype=np.float32))  # (L, H, T, T)
    tokens = TokenSequence((1,) * 6, ("a",) * 6, (False,) * 6)
    grid.set_map(AttentionMap(SELF, weights, tokens, tokens))
    narrow_height = grid.height()
    grid.fit_width(2100)
    assert grid.blocks == 3 and grid.width() <= 2100 and grid.height() < narrow_height / 2.5
    cells = {(layer, head): grid._cell_rect(layer, head) for layer in range(layers) for head in range(heads)}
    assert all(grid.rect().contains(cell) for cell in cells.values())
    assert len({(cell.x(), cell.y()) for cell in cells.values()}) == layers * heads  # none on another
    assert cells[(10, 0)].left() > cells[(9, heads - 1)].right()  # layer 10 starts the second block
    grid.fit_width(1880)  # a full HD screen's view: two blocks of 15 layers
    assert grid.blocks == 2 and grid.width() <= 1880 and grid._cell_rect(15, 0).top() == grid._cell_rect(0, 0).top()


def test_the_overview_colours_heads_by_the_models_own_scores(qtbot, panel, captured, tiny_loaded):
    panel.tabs.setCurrentIndex(1)
    colouring = panel.head_colouring
    colouring.combo.setCurrentIndex(colouring.combo.findData("induction"))
    qtbot.waitUntil(lambda: colouring.scores is not None, timeout=10_000)
    expected = head_scores(tiny_loaded, tiny_loaded.context_length)
    np.testing.assert_allclose(panel.overview.head_scores, expected.induction, atol=1e-6)
    colouring.combo.setCurrentIndex(colouring.combo.findData("sink"))  # no second computation
    np.testing.assert_allclose(panel.overview.head_scores, expected.sink, atol=1e-6)
    image = panel.overview.grab().toImage()
    frame = panel.overview._cell_rect(0, 0).topLeft() - QPoint(2, 2)
    assert image.pixelColor(frame) == score_color(float(expected.sink[0, 0]))  # the frame shows the score
    panel.state.set_loaded_model(None)  # another model: its own scores, computed when asked
    assert colouring.scores is None and panel.overview.head_scores is None and colouring.kind is None


def test_exports_exist_and_reload_equal(panel, captured, tmp_path):
    panel.layer_slider.setValue(1)
    panel.aggregation_combo.setCurrentIndex(panel.aggregation_combo.findData("mean"))
    panel.flush_redraw()
    panel.export_png(tmp_path / "view.png")
    panel.export_npz(tmp_path / "all.npz")
    panel.export_csv(tmp_path / "matrix.csv")
    assert (tmp_path / "view.png").stat().st_size > 1000
    with np.load(tmp_path / "all.npz", allow_pickle=False) as data:
        np.testing.assert_array_equal(data["attentions"], captured.main.weights)
        assert tuple(data["tokens"]) == captured.main.queries.labels
    rows = list(csv.reader(open(tmp_path / "matrix.csv", encoding="utf-8")))
    table = np.array([row[1:] for row in rows[1:]], dtype=float)
    np.testing.assert_allclose(table, captured.main.matrix(1, "mean"), rtol=1e-5, atol=1e-7)


def test_follows_a_finished_generation_without_a_click(qtbot, panel, tiny_loaded):
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.generation_data import GenerationRecord
    from workbench.core.jobs import drain

    request = GenerationRequest(prompt="The quick brown", settings=DecodingSettings(mode="greedy", max_new_tokens=6))
    result = drain(generate(tiny_loaded, request))
    panel.state.generation_finished.emit(GenerationRecord(tiny_loaded, request, result))
    qtbot.waitUntil(lambda: panel.capture is not None, timeout=10000)
    expected_ids = result.prompt_token_ids + result.sequences[0].token_ids
    assert panel.capture.main.queries.ids == expected_ids
    assert panel.text_edit.text() == "The quick brown"
    assert panel.query == len(expected_ids) - 1
    # The chat switch says how the prompt was made: Capture again reads the same prompt tokens.
    assert panel.chat_check.isChecked() == tiny_loaded.has_chat_template
    panel.capture_text()
    qtbot.waitUntil(lambda: panel.capture.main.queries.ids != expected_ids, timeout=10000)
    assert panel.capture.main.queries.ids == result.prompt_token_ids


def test_a_model_that_generated_past_its_context_is_captured_on_its_last_window(qtbot, panel, short_context_loaded):
    """A model trained here reads its last tokens only: the page stayed blank, saying the text was too long."""
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.generation_data import GenerationRecord
    from workbench.core.jobs import drain

    loaded = short_context_loaded
    request = GenerationRequest(prompt="the cat", settings=DecodingSettings(mode="greedy", max_new_tokens=12))
    result = drain(generate(loaded, request))
    panel.state.generation_finished.emit(GenerationRecord(loaded, request, result))
    qtbot.waitUntil(lambda: panel.capture is not None, timeout=10000)
    every = result.prompt_token_ids + result.sequences[0].token_ids
    first = len(every) - 8
    assert first > 0 and panel.capture.main.queries.ids == every[-8:]
    expected = capture_attention(loaded, list(every[-8:])).main.weights
    np.testing.assert_allclose(panel.capture.main.weights.astype(np.float32), expected.astype(np.float32), atol=1e-3)
    assert f"these are the last 8 of the {len(every)}" in panel.status.text()
    panel.state.select_token(0, first + 3)
    assert panel.query == 3
    panel._on_token_clicked(5)
    assert panel.state.selected_token == (0, first + 5)


def test_a_chat_generation_is_shown_with_the_chat_switch_on(qtbot, panel, tiny_loaded):
    from workbench.core.decoding import DecodingSettings
    from workbench.core.generation import GenerationRequest, generate
    from workbench.core.generation_data import GenerationRecord
    from workbench.core.jobs import drain

    assert tiny_loaded.has_chat_template
    panel.chat_check.setChecked(False)
    request = GenerationRequest(prompt="Hi", settings=DecodingSettings(mode="greedy", max_new_tokens=3), chat=True)
    result = drain(generate(tiny_loaded, request))
    panel.state.generation_finished.emit(GenerationRecord(tiny_loaded, request, result))
    qtbot.waitUntil(lambda: panel.capture is not None, timeout=10000)
    assert panel.chat_check.isChecked()


def test_a_new_request_replaces_a_running_capture(qtbot, panel, tiny_loaded):
    from workbench.qt.attention.panel import CaptureRequest

    panel.text_edit.setText(TEXT * 2)
    panel.capture_text()
    panel.start_capture(CaptureRequest(tiny_loaded, (5, 6, 7)))
    qtbot.waitUntil(lambda: panel.capture is not None and not panel.is_capturing(), timeout=10000)
    qtbot.wait(50)
    assert panel.capture.main.queries.ids == (5, 6, 7)


def test_layers_an_abandoned_capture_still_reports_leave_the_new_captures_bar_alone(qtbot, panel, tiny_loaded,
                                                                                    monkeypatch):
    """The progress callback is called on the job's thread inside the forward pass, outside the Job's filter of
    abandoned runs: the first capture's late layers reset the bar of the capture that replaced it."""
    import threading

    from workbench.core.attention import CaptureProgress, capture_job
    from workbench.qt.attention import panel as panel_module
    from workbench.qt.attention.panel import CaptureRequest

    first_may_report, first_done, second_may_finish = threading.Event(), threading.Event(), threading.Event()

    def capture_job_held(loaded, input_ids, *, cancel, on_progress, **kwargs):
        if input_ids == (1, 2, 3):  # still in its forward pass when the second capture starts
            try:
                first_may_report.wait(10)
                on_progress(CaptureProgress(9, 10))
                cancel.raise_if_cancelled()
            finally:
                first_done.set()
        else:
            on_progress(CaptureProgress(1, 4))
            second_may_finish.wait(10)
        return (yield from capture_job(loaded, input_ids, cancel=cancel, **kwargs))

    monkeypatch.setattr(panel_module, "capture_job", capture_job_held)
    panel.start_capture(CaptureRequest(tiny_loaded, (1, 2, 3)))
    panel.start_capture(CaptureRequest(tiny_loaded, (4, 5, 6)))
    qtbot.waitUntil(lambda: panel.progress.maximum() == 4, timeout=10000)
    first_may_report.set()
    qtbot.waitUntil(first_done.is_set, timeout=10000)
    qtbot.wait(100)  # the first capture's report, queued to the GUI thread, is delivered
    assert (panel.progress.value(), panel.progress.maximum()) == (1, 4)
    second_may_finish.set()
    qtbot.waitUntil(lambda: panel.capture is not None and not panel.is_capturing(), timeout=10000)
    assert panel.capture.main.queries.ids == (4, 5, 6)


def test_capture_button_on_an_encoder(qtbot, tiny_tokenizer):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(tiny_tokenizer), hidden_size=32, num_hidden_layers=2,
                                 num_attention_heads=2, intermediate_size=64)).eval()
    entry = ModelEntry(id="tiny-bert", name="Tiny BERT", source=FOLDER, architecture="bert", parameters=None,
                       can_generate=False, installed=True)
    loaded = LoadedModel(entry, model, tiny_tokenizer, torch.device("cpu"), torch.float32)
    state = AppState()
    state.set_loaded_model(loaded)
    widget = AttentionPanel(state)
    qtbot.addWidget(widget)
    widget.text_edit.setText(TEXT)
    qtbot.mouseClick(widget.capture_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: widget.capture is not None, timeout=10000)
    assert not widget.capture.main.causal
    assert widget.heatmap.mask_item.path().isEmpty()  # bidirectional: every cell drawn
    assert "Tiny BERT" in widget.status.text()
    widget.text_edit.setText("   ")
    widget.capture_text()
    assert "empty" in widget.status.text()
    widget.shutdown()


def test_shutdown_stops_a_running_capture(qtbot, panel, tiny_loaded):
    panel.text_edit.setText(TEXT * 2)
    panel.capture_text()
    panel.shutdown()
    assert not panel.is_capturing()


def test_too_long_text_fails_with_one_line_and_keeps_the_view(qtbot, panel, captured):
    panel.text_edit.setText("The quick brown fox " * 60)
    panel.capture_text()
    qtbot.waitUntil(lambda: not panel.is_capturing() and "reads at most 128" in panel.status.text(), timeout=10000)
    assert panel.capture is captured and panel.capture_button.isEnabled()


def test_the_cli_png_colours_match_the_window_heatmap():
    import pyqtgraph as pg

    from workbench.cli.attention_png import viridis

    window = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256, alpha=False)  # (256, 3) uint8
    png = viridis(np.linspace(0.0, 1.0, 256))  # (256, 3) uint8
    assert np.abs(png.astype(int) - window.astype(int)).max() <= 6


@pytest.fixture
def long_capture(tiny_loaded):
    """94 tokens: too many to label every one at these sizes."""
    ids = tiny_loaded.tokenizer(TEXT * 10)["input_ids"][:94]
    return capture_attention(tiny_loaded, ids)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_cells_are_square_and_the_selected_token_is_labelled(qtbot, panel, long_capture, size):
    panel.resize(*size)
    panel.show_capture(long_capture)
    panel.select_query(41)
    view = panel.heatmap.plot.getViewBox()
    qtbot.waitUntil(lambda: view.width() > 300)
    cell_width, cell_height = view.viewPixelSize()  # view units per pixel: one cell is 1 x 1
    assert cell_width == pytest.approx(cell_height, rel=0.05)
    assert _shows_whole_matrix(view, 94)
    for axis in (panel.heatmap.left_axis, panel.heatmap.bottom_axis):
        (_, shown), = axis.tickValues(*axis.range, axis.height() if axis is panel.heatmap.left_axis else axis.width())
        assert 41 in shown and len(shown) < 94  # a subset, with the selected token among it
        assert axis.selected == 41
    assert panel.heatmap.selection_boxes[0].rect() == QRectF(-0.5, 40.5, 94, 1)  # row 41 outlined
    assert panel.heatmap.selection_boxes[1].rect() == QRectF(40.5, -0.5, 1, 94)  # and its column
    # The colour bar beside the cells, where the room square cells leave over would have put it a hand away.
    cells = panel.heatmap.image.sceneBoundingRect()
    qtbot.waitUntil(lambda: 0 <= panel.heatmap.color_bar.sceneBoundingRect().left() - cells.right() <= 12)


def test_fit_restores_the_whole_matrix_after_zooming(qtbot, panel, long_capture):
    panel.show_capture(long_capture)
    view = panel.heatmap.plot.getViewBox()
    view.scaleBy((0.25, 0.25))
    assert view.viewRange()[1][1] - view.viewRange()[1][0] < 50
    panel.fit_button.click()
    assert _shows_whole_matrix(view, 94)


def _shows_whole_matrix(view, tokens: int) -> bool:
    """Every cell in view, against the left and bottom axes (where the token labels are), and no more room than
    square cells need: one axis fits exactly."""
    (left, right), (top, bottom) = view.viewRange()
    against_axes = left == pytest.approx(-0.5) and bottom == pytest.approx(tokens - 0.5)
    inside = top <= -0.5 + 1e-6 and right >= tokens - 0.5 - 1e-6
    return against_axes and inside and min(right - left, bottom - top) == pytest.approx(tokens)


def test_bars_keep_their_height_and_name_the_strongest_keys(qtbot, panel, captured):
    panel.resize(1366, 300)  # a short window: the bars keep a readable height
    panel.select_query(6)
    bars = panel.token_view.bars_plot
    qtbot.waitUntil(lambda: bars.getViewBox().height() >= BARS_MIN_HEIGHT)
    weights = captured.main.weights[0, 0, 6]
    strongest = np.argsort(-weights, kind="stable")[:3]
    labels = [(label.textItem.toPlainText(), label.pos().x()) for label in panel.token_view.bar_labels]
    assert labels == [(captured.main.keys.labels[key], key) for key in strongest]
    # The strongest keys at both ends (the first token and the query itself often are): no label is cut by an edge.
    row = np.zeros(len(weights), dtype=np.float32)
    row[[0, len(row) // 2, len(row) - 1]] = (0.5, 0.1, 0.4)
    panel.token_view.show_query(len(row) - 1, row)
    qtbot.wait(50)
    view = bars.getViewBox().sceneBoundingRect()
    for label in panel.token_view.bar_labels:
        shown = label.mapRectToScene(label.boundingRect())
        assert view.left() - 1 <= shown.left() and shown.right() <= view.right() + 1, label.textItem.toPlainText()


def test_the_attention_choice_shows_only_for_encoder_decoder_captures(panel, captured):
    assert not panel.set_combo.isVisibleTo(panel) and not panel.set_label.isVisibleTo(panel)
    assert panel.set_label.buddy() is panel.set_combo


def test_the_hover_readout_clears_when_the_model_changes(qtbot, panel, captured):
    qtbot.mouseMove(panel.heatmap.viewport(), _cell_viewport_pos(panel, 4, 1))
    qtbot.waitUntil(lambda: "→" in panel.hover_label.text(), timeout=2000)
    panel.state.set_loaded_model(None)
    assert "→" not in panel.hover_label.text() and panel.heatmap.toolTip() == ""


def test_another_model_loaded_clears_the_capture_of_the_one_before(qtbot, panel):
    """The overview's head scores, the Token and Lens pages are the loaded model's: the old model's attention
    must not stay beside them."""
    from tests.conftest import make_tiny_loaded

    first = make_tiny_loaded()
    panel.state.set_loaded_model(first)
    panel.text_edit.setText(TEXT)
    panel.capture_text()
    qtbot.waitUntil(lambda: panel.capture is not None and not panel.is_capturing(), timeout=10000)
    panel.state.set_loaded_model(first)  # the same model again: nothing to clear
    assert panel.capture is not None
    panel.state.set_loaded_model(make_tiny_loaded(seed=7))
    assert panel.capture is None and panel.heatmap.matrix.size == 0 and panel.overview.attention_map is None
    assert "model changed" in panel.status.text()


def _run_of(loaded, prompt: str, output: str):
    from workbench.core.sessions import Run, RunSequence

    return Run(model_id=loaded.entry.id, model_name=loaded.entry.name, prompt=prompt, system_prompt="", chat=False,
               settings={}, seed=1, sequences=(RunSequence(output),), prompt_tokens=3, stopped=False,
               time_to_first_token_s=0.01, tokens_per_s=50.0, elapsed_s=0.1)


def test_a_restored_run_of_the_loaded_model_is_captured_again(qtbot, panel, captured, tiny_loaded):
    run = _run_of(tiny_loaded, "The quick", " brown fox")
    panel.state.run_restored.emit(run)
    qtbot.waitUntil(lambda: panel.capture is not captured and panel.capture is not None, timeout=10000)
    tokenizer = tiny_loaded.tokenizer
    expected = tokenizer("The quick")["input_ids"] + tokenizer(" brown fox", add_special_tokens=False)["input_ids"]
    assert panel.capture.main.queries.ids == tuple(expected)
    assert panel.text_edit.text() == "The quick"


def test_a_restored_run_of_another_model_clears_the_view_and_names_it(qtbot, panel, captured, tiny_loaded):
    import dataclasses

    other = dataclasses.replace(tiny_loaded.entry, id="other-model", name="Another model")
    other_loaded = LoadedModel(other, None, None, torch.device("cpu"), torch.float32)
    panel.state.run_restored.emit(_run_of(other_loaded, "Hi", "!"))
    assert panel.capture is None and panel.heatmap.matrix.size == 0
    assert "Another model" in panel.status.text()
    assert not panel.layer_slider.isEnabled()


def test_token_labels_that_fit_a_line_stay_upright_under_the_heatmap(qtbot):
    from workbench.qt.attention.heatmap import AttentionHeatmap

    heatmap = AttentionHeatmap()
    qtbot.addWidget(heatmap)
    heatmap.set_tokens(["床", "前", "明"], ["床", "前", "明"])
    assert heatmap.bottom_axis.upright  # a Chinese character reads upright, not on its side
    heatmap.set_tokens(["床前明月光"], ["Attention", "heads"])
    assert not heatmap.bottom_axis.upright
    widest = QFontMetricsF(heatmap.bottom_axis.font()).horizontalAdvance("Attention")
    assert heatmap.bottom_axis.maximumHeight() > widest  # on its side, as tall as the longest label


def test_a_long_pasted_text_reaches_the_capture_whole(qtbot, panel):
    """QLineEdit cut a paste at 32,767 characters without a word: the capture's length check must see it all."""
    panel.text_edit.setText("a" * 40_000)
    assert len(panel.text_edit.text()) == 40_000



def test_an_axis_title_longer_than_its_axis_ends_in_an_ellipsis(qtbot):
    """On the training page's short checkpoint pane "query: the token that looks" ran under the tabs above it."""
    from workbench.qt.attention.heatmap import AttentionHeatmap

    heatmap = AttentionHeatmap()
    heatmap.setMinimumSize(0, 0)
    qtbot.addWidget(heatmap)
    heatmap.set_tokens(list("性達形迹忘。"), list("性達形迹忘。"))
    heatmap.resize(900, 150)
    heatmap.show()
    axis = heatmap.left_axis
    qtbot.waitUntil(lambda: axis.labelText != axis.title)
    shown = QFontMetricsF(axis.label.font()).horizontalAdvance(axis.labelText)
    assert axis.labelText.endswith("…") and shown <= axis.size().height()
    assert axis.toolTip() == "query: the token that looks"
    heatmap.resize(900, 600)  # room again: the whole title, no tooltip needed
    qtbot.waitUntil(lambda: axis.labelText == axis.title)
    assert axis.toolTip() == "" and heatmap.bottom_axis.labelText == "key: the token looked at"


@pytest.fixture
def token_view(qtbot):
    """The page's bars and text on their own, shown at a laptop's panel size."""
    from workbench.qt.attention.token_view import TokenView

    view = TokenView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_the_weight_chart_reads_0_to_1_before_a_query_and_its_top_label_has_room(token_view):
    view = token_view
    labels = ["The", " quick", " brown"]
    view.set_tokens(labels, labels, [False] * 3)
    low, high = view.bars_plot.getViewBox().viewRange()[1]
    assert -0.05 < low <= 0 and 1 <= high < 1.05  # weights: not pyqtgraph's empty -0.5..0.5
    assert view.bars_plot.getPlotItem().getContentsMargins()[1] >= view.fontMetrics().height() // 2


def test_labels_of_neighbouring_peaks_do_not_run_into_each_other(token_view):
    """Two neighbouring bars both among the strongest printed "⎵named⎵by" as one run of text."""
    view = token_view
    labels = [" named", " by", " the", " cat", " sat"] * 8
    view.set_tokens(labels, labels, [False] * len(labels))
    weights = np.full(len(labels), 0.01, dtype=np.float32)
    weights[10], weights[11], weights[30] = 0.04, 0.039, 0.035  # two side by side, one far off
    view.show_query(len(labels) - 1, weights)
    shown = {label.textItem.toPlainText() for label in view.bar_labels if label.isVisible()}
    assert shown == {labels[10], labels[30]}


def test_a_token_that_looks_like_a_tag_is_written_out_in_the_title(token_view):
    """Gemma writes tokens such as <blockquote>: Qt took the title for HTML, the token vanished and the title broke
    over lines."""
    labels = ["<blockquote>", "The", " wall"]
    token_view.set_tokens(labels, labels, [False, False, False])
    token_view.show_query(0, np.array([1.0, 0.0, 0.0]))
    title = token_view.title
    assert title.text() == "Where “<blockquote>” (position 0) looks"
    assert title.textFormat() == Qt.TextFormat.PlainText
