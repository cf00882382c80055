"""The Lens page on a tiny random Llama: the grid fills with progress, can be cancelled, follows
a generation once opened, and a column click selects its token on the Token page too."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.conftest import make_tiny_loaded
from workbench.core.attention import capture_attention
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest, generate
from workbench.core.generation_data import GenerationRecord
from workbench.core.jobs import drain
from workbench.core.lens import LensProgress, logit_lens
from workbench.qt.lens.panel import LensPanel
from workbench.qt.token.panel import TokenPanel

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture
def panel(show_panel, state):
    return show_panel(LensPanel, state, 1366, 700)


def _column_pos(panel, layer: int, column: int):
    scene_pos = panel.grid.plot.getViewBox().mapViewToScene(QPointF(column, layer))
    return panel.grid.mapFromScene(scene_pos)


def test_the_grid_fills_with_progress(qtbot, panel, tiny_loaded):
    progress = []
    panel.lens_job.event.connect(progress.append)
    panel.text_edit.setText(TEXT)
    panel.compute_button.click()
    assert panel.progress.isVisible() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.lens is not None, timeout=10000)
    assert progress == [LensProgress(done, 3) for done in (1, 2, 3)]
    assert not panel.progress.isVisible() and not panel.cancel_button.isEnabled()
    expected = drain(logit_lens(tiny_loaded, tiny_loaded.tokenizer(TEXT)["input_ids"]))
    # (layers, T): each position's next token, and after the last one the model's own guess
    np.testing.assert_array_equal(panel.grid.values[:, :-1], expected.next_token_prob[:, :-1])
    np.testing.assert_array_equal(panel.grid.values[:, -1], expected.guess_prob)
    assert panel.grid.bottom_axis.labels[0] == panel.next_labels[0]
    assert panel.grid.bottom_axis.labels[-1] == panel.guess_label + "?"
    assert "positions of the text above" in panel.status.text()
    viridis = pg.colormap.get("viridis").getLookupTable(nPts=8)
    panel.colour_combo.setCurrentIndex(1)  # rank, log scale
    np.testing.assert_allclose(panel.grid.values[:, :-1], np.log10(expected.next_token_rank[:, :-1] + 1.0))
    np.testing.assert_allclose(panel.grid.values[:, -1], np.log10(expected.guess_rank + 1.0))
    # The reversed map for ranks is the lens's own: every other viridis in the window stays as it was.
    np.testing.assert_array_equal(pg.colormap.get("viridis").getLookupTable(nPts=8), viridis)


def test_cancel_leaves_no_half_grid(qtbot, panel, tiny_loaded):
    panel.text_edit.setText(TEXT * 2)
    panel.compute_text()
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.is_computing(), timeout=10000)
    assert "cancelled" in panel.status.text()
    assert panel.lens is None and panel.grid.values.size == 0
    assert panel.compute_button.isEnabled() and not panel.progress.isVisible()


def test_compute_waits_for_a_text(panel):
    """An empty field has nothing to read: Compute is off until there is text, and Enter says so in the lens's
    words (not the Attention page's "capture")."""
    assert not panel.compute_button.isEnabled()
    panel.text_edit.setText("   ")
    assert not panel.compute_button.isEnabled()
    panel.compute_text()
    assert panel.status.text() == "The text is empty: there is nothing to read."
    panel.text_edit.setText(TEXT)
    assert panel.compute_button.isEnabled()


def test_hover_reads_the_top_5(qtbot, panel):
    panel.text_edit.setText(TEXT)
    panel.compute_text()
    qtbot.waitUntil(lambda: panel.lens is not None, timeout=10000)
    qtbot.mouseMove(panel.grid.viewport(), _column_pos(panel, 1, 4))
    qtbot.waitUntil(lambda: "Top 5" in panel.hover_label.text(), timeout=2000)
    assert panel.hover_label.text() == panel.hover_text(1, 4)
    assert f"rank {panel.lens.next_token_rank[1, 4] + 1}" in panel.hover_label.text()


def _lens_and_token_pages_after_a_generation(qtbot, state, loaded, max_new_tokens: int):
    """Both pages, not yet shown, after a greedy generation of ``loaded`` has finished."""
    lens_page = LensPanel(state)
    token_page = TokenPanel(state)
    for widget in (lens_page, token_page):
        qtbot.addWidget(widget)
    request = GenerationRequest(prompt="The quick brown", chat=False, trace=True,
                                settings=DecodingSettings(mode="greedy", max_new_tokens=max_new_tokens))
    result = drain(generate(loaded, request))
    state.generation_finished.emit(GenerationRecord(loaded, request, result))
    return lens_page, token_page, result


def test_a_generation_is_read_once_the_page_was_opened_and_a_click_selects_its_token(qtbot, state, tiny_loaded):
    lens_page, token_page, result = _lens_and_token_pages_after_a_generation(qtbot, state, tiny_loaded, 5)
    assert not lens_page.is_computing()  # never opened: no forward pass spent
    lens_page.resize(1000, 600)
    lens_page.show()  # opened: the waiting generation is read now
    qtbot.waitUntil(lambda: lens_page.lens is not None, timeout=10000)
    ids = result.prompt_token_ids + result.sequences[0].token_ids
    assert lens_page.lens.token_ids == ids
    column = len(result.prompt_token_ids) + 1
    qtbot.mouseClick(lens_page.grid.viewport(), Qt.MouseButton.LeftButton, pos=_column_pos(lens_page, 0, column))
    assert state.selected_token == (0, column + 1)
    assert lens_page.grid.selected_column == column
    assert token_page.selected.event is result.sequences[0].tokens[2]
    lens = lens_page.lens
    assert [bar.label for bar in token_page.lens_chart.bars] == list(lens.layers)
    assert [bar.length for bar in token_page.lens_chart.bars] == pytest.approx(lens.next_token_prob[:, column])
    state.select_token(0, 3)
    assert lens_page.grid.selected_column == 2
    # The keyboard moves along the text as clicks would, and stops before the model's own guess.
    qtbot.keyClick(lens_page.grid, Qt.Key.Key_Right)
    assert state.selected_token == (0, 4) and lens_page.grid.selected_column == 3
    qtbot.keyClick(lens_page.grid, Qt.Key.Key_Left)
    assert state.selected_token == (0, 3)
    for _ in range(len(ids) + 2):
        qtbot.keyClick(lens_page.grid, Qt.Key.Key_Right)
    assert state.selected_token == (0, len(ids) - 1)  # the last token of the text, not the guess after it
    lens_page.shutdown()
    token_page.shutdown()


def test_the_last_column_reads_the_models_own_guess_and_selects_nothing(qtbot, panel, state):
    panel.text_edit.setText(TEXT)
    panel.compute_text()
    qtbot.waitUntil(lambda: panel.lens is not None, timeout=10000)
    last = len(panel.next_labels)
    text = panel.hover_text(2, last)
    assert f"the model's own guess “{panel.guess_label}”" in text
    assert f"rank {panel.lens.guess_rank[2] + 1}" in text
    qtbot.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=_column_pos(panel, 0, last))
    assert state.selected_token is None and panel.grid.selected_column == -1


def test_a_lens_column_taller_than_its_room_shows_the_layers_where_the_token_formed(qtbot, state):
    deep = make_tiny_loaded(chat=False, layers=24)
    lens_page, token_page, _ = _lens_and_token_pages_after_a_generation(qtbot, state, deep, 3)
    lens_page.show()
    qtbot.waitUntil(lambda: lens_page.lens is not None, timeout=10000)
    column = 2  # in the prompt, which a random model does not foresee: its rows differ from layer to layer
    state.select_token(0, column + 1)
    token_page.resize(1000, 340)  # room for fewer rows than the model has layers
    token_page.show()
    qtbot.waitExposed(token_page)
    scroll_bar = token_page.lens_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: scroll_bar.value() > 0, timeout=2000)
    # Where the last layer's top guess is the token, it formed at the first layer of that final run of rank 1;
    # otherwise the last layer, the model's own reading, is the one to see.
    ranks = lens_page.lens.next_token_rank[:, column]
    forming = len(ranks) - 1
    while ranks[-1] == 0 and forming > 0 and ranks[forming - 1] == 0:
        forming -= 1
    row = token_page.lens_chart.row_rect(forming)
    shown_top = scroll_bar.value()
    assert shown_top <= row.top() and row.bottom() <= shown_top + token_page.lens_scroll.viewport().height()
    assert token_page.lens_title.text().startswith(f"Logit lens at position {column}")  # stays above the rows
    lens_page.shutdown()
    token_page.shutdown()


def test_a_token_of_a_second_answer_says_the_lens_reads_the_first_only(qtbot, state, tiny_loaded):
    lens_page, token_page = LensPanel(state), TokenPanel(state)
    for widget in (lens_page, token_page):
        qtbot.addWidget(widget)
    request = GenerationRequest(prompt="The quick brown", chat=False, trace=True, settings=DecodingSettings(
        mode="sample", temperature=1.5, num_return_sequences=2, max_new_tokens=5, seed=3))
    result = drain(generate(tiny_loaded, request))
    assert result.sequences[0].token_ids != result.sequences[1].token_ids
    state.generation_finished.emit(GenerationRecord(tiny_loaded, request, result))
    lens_page.show()
    qtbot.waitUntil(lambda: lens_page.lens is not None, timeout=10000)
    state.select_token(1, len(result.prompt_token_ids) + 2)
    assert token_page.lens_hint.isVisibleTo(token_page)
    assert token_page.lens_hint.text().endswith("this token is in answer 2.")
    state.select_token(0, len(result.prompt_token_ids) + 2)  # the first answer's token: its column
    assert len(token_page.lens_chart.bars) == len(lens_page.lens.layers)
    lens_page.shutdown()
    token_page.shutdown()


def test_thinned_layer_labels_keep_the_embeddings_row_and_even_layer_numbers(qtbot):
    """Rows read "embed, 0, 1…": thinned to every 2nd, they read "embed, 2, 4…", not "embed, 1, 3…" (which looked
    like the layer numbers skipped the even ones)."""
    from workbench.qt.lens.grid import LensGrid

    grid = LensGrid()
    qtbot.addWidget(grid)
    labels = ["embed", *map(str, range(30))]
    grid.set_labels(labels, ["a", "b"])
    axis = grid.left_axis
    line = axis._line_height() * 1.05
    (stride, rows), = axis.tickValues(-0.5, len(labels) - 0.5, size=len(labels) * line / 2.5)  # room for every 3rd
    shown = axis.tickStrings(rows, 1.0, stride)
    assert shown[0] == "embed" and stride > 1
    assert all(int(label) % stride == 0 for label in shown[1:]) and len(shown) > 5, shown
    (_, rows), = axis.tickValues(-0.5, len(labels) - 0.5, size=len(labels) * line * 2)  # room for all
    assert axis.tickStrings(rows, 1.0, 1) == labels
    axis.set_marked(-1, 1)  # hovering layer 0, right under the embeddings row: its label is drawn alone
    (stride, rows), = axis.tickValues(-0.5, len(labels) - 0.5, size=len(labels) * line / 2.5)
    assert axis.tickStrings(rows, 1.0, stride)[0] == "0"


def test_a_model_that_generated_past_its_context_is_read_on_its_last_window(qtbot, state, short_context_loaded):
    """A model trained here reads its last tokens only: the page stayed blank, saying the text was too long."""
    loaded = short_context_loaded
    lens_page, token_page, result = _lens_and_token_pages_after_a_generation(qtbot, state, loaded, 12)
    lens_page.resize(1000, 600)
    lens_page.show()
    qtbot.waitUntil(lambda: lens_page.lens is not None, timeout=10000)
    every = result.prompt_token_ids + result.sequences[0].token_ids
    assert len(every) > 8 and lens_page.lens.token_ids == every[-8:]
    assert lens_page.lens.to_json() == drain(logit_lens(loaded, every[-8:])).to_json()
    assert f"these are the last 8 of the {len(every)}" in lens_page.status.text()
    first = len(every) - 8
    state.select_token(0, first + 3)  # a token of the window: its predictor's column
    assert lens_page.grid.selected_column == 2
    state.select_token(0, 2)  # a token before the window: no column
    assert lens_page.grid.selected_column == -1
    qtbot.mouseClick(lens_page.grid.viewport(), Qt.MouseButton.LeftButton, pos=_column_pos(lens_page, 0, 4))
    assert state.selected_token == (0, first + 5)

    # The Token page reads the same window: the token's lens column, and its attention row of the window.
    token_page.resize(1200, 700)
    token_page.show()
    state.select_token(0, len(every) - 2)  # a generated token in the window
    column = len(every) - 3 - first
    assert [bar.length for bar in token_page.lens_chart.bars] == pytest.approx(
        lens_page.lens.next_token_prob[:, column])
    qtbot.waitUntil(lambda: token_page.attention_row.weights.size > 0, timeout=10000)
    expected = capture_attention(loaded, list(every[first:])).main.weights.mean(axis=1, dtype=np.float32)
    np.testing.assert_allclose(token_page.attention_row.weights, expected[0, column, : column + 1], atol=1e-3)
    report = token_page.token_report()
    assert report["lens"]["position"] == len(every) - 3 and report["attention"]["query"] == len(every) - 3
    assert report["attention"]["key_token_ids"] == list(every[first: len(every) - 2])
    state.select_token(0, first)  # predicted from before the window: no lens column, no attention row
    assert not token_page.lens_scroll.isVisibleTo(token_page) and token_page.attention_row.weights.size == 0
    lens_page.shutdown()
    token_page.shutdown()
