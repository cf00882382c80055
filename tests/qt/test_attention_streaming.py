"""Live attention in the Attention panel: the heatmap grows one row per step as tokens stream,
each row equal to the post-hoc capture of the same text (rows sliced from a capture, then a
real generation in the window), and the capture after the run replaces the live view (with
the last token's row, which no step computes)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.qt.test_main_window import set_prompt
from workbench.core.attention import capture_attention
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import generate
from workbench.core.generation_data import AttentionRows, GenerationRecord, GenerationRequest
from workbench.core.jobs import drain
from workbench.qt.attention.panel import AttentionPanel
from workbench.qt.common.app_state import AppState, LiveGeneration
from workbench.qt.main_window import MainWindow

NEW_TOKENS = 6


@pytest.fixture
def panel(show_panel, state):
    return show_panel(AttentionPanel, state, 1200, 800)


@pytest.fixture
def run(tiny_loaded):
    """A real greedy run and the post-hoc capture of its prompt and output: what live rows must equal."""
    request = GenerationRequest("The quick brown fox", DecodingSettings(mode="greedy", max_new_tokens=NEW_TOKENS,
                                                                        min_new_tokens=NEW_TOKENS), chat=False,
                                live_attention=True)
    result = drain(generate(tiny_loaded, GenerationRequest(request.prompt, request.settings, chat=False)))
    ids = result.prompt_token_ids + result.sequences[0].token_ids
    capture = capture_attention(tiny_loaded, ids)
    return request, result, capture


def rows_of_step(weights: np.ndarray, prompt_length: int, step: int) -> AttentionRows:
    """The rows a step's forward pass computes: the prompt's block first, then one new query row."""
    if step == 0:
        return AttentionRows(0, 0, weights[:, :, :prompt_length, :prompt_length].astype(np.float16))
    query = prompt_length + step - 1
    return AttentionRows(step, query, weights[:, :, query:query + 1, :query + 1].astype(np.float16))


def test_the_panel_wants_live_rows_while_it_is_visible(panel, state):
    assert state.live_attention
    panel.hide()
    assert not state.live_attention
    panel.show()
    assert state.live_attention


def test_the_heatmap_grows_one_row_per_step_equal_to_the_capture(qtbot, panel, state, tiny_loaded, run):
    request, result, capture = run
    prompt_length = len(result.prompt_token_ids)
    weights = capture.main.weights  # (L, H, T, T)
    expected = weights.astype(np.float16).astype(np.float32)  # live rows are kept as float16
    panel.layer_slider.setValue(1)
    panel.head_spin.setValue(3)
    state.generation_started.emit(LiveGeneration(tiny_loaded, request, result.prompt_token_ids))
    for step, token in enumerate(result.sequences[0].tokens):
        state.attention_rows.emit(rows_of_step(weights, prompt_length, step))
        state.token_streamed.emit(token)
        panel.flush_live()
        panel.flush_redraw()
        rows = prompt_length + step  # prompt rows, then one row per token fed back in
        np.testing.assert_array_equal(panel.heatmap.matrix, expected[1, 3, :rows, :rows])
        assert panel.heatmap.query_labels == capture.main.queries.labels[:rows]
        assert panel.overview.attention_map is None  # the overview waits for the whole run
    assert not panel.aggregation_combo.model().item(panel.aggregation_combo.findData("rollout")).isEnabled()

    panel.aggregation_combo.setCurrentIndex(panel.aggregation_combo.findData("mean"))
    panel.flush_redraw()
    last = prompt_length + NEW_TOKENS - 1
    np.testing.assert_allclose(panel.heatmap.matrix, weights[1, :, :last, :last].mean(axis=0), atol=1e-3)

    # After the run the capture replaces the live rows, and has the last token's row too.
    with qtbot.waitSignal(panel._capture_job.finished, timeout=10_000):
        state.generation_finished.emit(GenerationRecord(tiny_loaded, request, result))
    assert panel.live is None
    np.testing.assert_allclose(panel.heatmap.matrix, weights[1].mean(axis=0), atol=1e-6)
    assert panel.overview.attention_map is panel.attention_map


def test_a_generation_started_without_live_rows_leaves_the_view_alone(panel, state, tiny_loaded, run):
    request, result, capture = run
    panel.show_capture(capture)
    state.generation_started.emit(
        LiveGeneration(tiny_loaded, dataclasses.replace(request, live_attention=False), result.prompt_token_ids))
    state.attention_rows.emit(rows_of_step(capture.main.weights, len(result.prompt_token_ids), 0))
    panel.flush_live()
    assert panel.live is None and panel.capture is capture


def test_a_generation_in_the_window_streams_rows_that_equal_the_capture(qtbot, tiny_loaded):
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    window.use_loaded_model(tiny_loaded)
    window.show()
    window.pages.setCurrentIndex(1)  # the Attention page: shown, it asks for live rows
    panel = window.panels[0][1].panel
    assert window.state.live_attention
    set_prompt(window, "The quick brown fox", mode="greedy", max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)
    streamed: list[AttentionRows] = []
    window.state.attention_rows.connect(streamed.append)
    live_rows_at_the_end = []
    # Before the panel's own capture lands: what was drawn live, the last layer's mean over heads.
    window.state.generation_finished.connect(
        lambda record: (panel.flush_live(), panel.flush_redraw(), live_rows_at_the_end.append(panel.heatmap.matrix)))
    panel.aggregation_combo.setCurrentIndex(panel.aggregation_combo.findData("mean"))
    panel.layer_slider.setValue(1)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    qtbot.waitUntil(lambda: panel.live is None and not panel.is_capturing(), timeout=10_000)
    result = finished.args[0].result
    prompt_length = len(result.prompt_token_ids)
    assert [(rows.step, rows.first_query) for rows in streamed] == [(0, 0)] + [
        (step, prompt_length + step - 1) for step in range(1, NEW_TOKENS)]

    capture = capture_attention(tiny_loaded, result.prompt_token_ids + result.sequences[0].token_ids)
    shown = prompt_length + NEW_TOKENS - 1  # every token but the last was fed back in
    (live_matrix,) = live_rows_at_the_end
    np.testing.assert_allclose(live_matrix, capture.main.matrix(1, "mean")[:shown, :shown], atol=2e-3)
    np.testing.assert_allclose(panel.heatmap.matrix, capture.main.matrix(1, "mean"), atol=1e-6)
    window.close()
