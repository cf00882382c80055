"""The Token page on a tiny random Llama: the sampler chain with struck-out tokens, the selection,
the attention row, and the JSON export."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from workbench.core.attention import capture_attention
from workbench.core.decoding import DecodingSettings
from workbench.core.generation import GenerationRequest, generate
from workbench.core.generation_data import GenerationRecord
from workbench.core.jobs import drain
from workbench.qt.common.app_state import LiveGeneration
from workbench.qt.token.chain import SHOWN_TOKENS
from workbench.qt.token.panel import TokenPanel

TOP_K = 3


@pytest.fixture
def panel(show_panel, state):
    return show_panel(TokenPanel, state, 1366, 700)


def _top_k_record(loaded) -> GenerationRecord:
    settings = DecodingSettings(mode="sample", temperature=0.8, top_k=TOP_K, top_p=1.0, max_new_tokens=5, seed=1)
    request = GenerationRequest(prompt="The quick brown", settings=settings, chat=False, trace=True)
    return GenerationRecord(loaded, request, drain(generate(loaded, request)))


@pytest.fixture
def record(state, tiny_loaded):
    record = _top_k_record(tiny_loaded)
    state.generation_finished.emit(record)
    return record


def test_top_k_chart_strikes_out_the_tokens_it_cut(qtbot, panel, state, record):
    prompt = len(record.result.prompt_token_ids)
    event = record.result.sequences[0].tokens[2]
    state.select_token(0, prompt + 2)
    names = [stage.name for stage in event.trace.stages]
    assert names == ["raw", "temperature", "top_k"]
    assert len(panel.stage_charts) == 3
    temperature, top_k = event.trace.stages[1], event.trace.stages[2]
    bars = panel.stage_charts[2].bars
    kept, cut = [bar for bar in bars if not bar.cut], [bar for bar in bars if bar.cut]
    assert len(kept) == TOP_K and top_k.survivors == TOP_K
    # The 4th and later tokens of the stage before are the ones struck out, at their earlier probability.
    expected = temperature.top[TOP_K:SHOWN_TOKENS]
    texts = event.trace.token_texts
    # Spaces drawn as ␣, except inside a byte chip such as ⟨e6 98⟩ (its own notation, as on the Lens axis).
    # Control characters too, as their pictures (a tiny model's random picks include bytes such as 0x07).
    marks = {" ": "␣", "\n": "↵", "\t": "⇥"}

    def marked(text: str) -> str:
        return "".join(marks.get(char, chr(0x2400 + ord(char)) if ord(char) < 0x20 else char) for char in text)

    assert [bar.label for bar in cut] == [
        texts[token_id] if texts[token_id].startswith("⟨") else marked(texts[token_id]) or "∅"
        for token_id, _ in expected]
    assert [bar.note for bar in cut] == [f"{prob:.3f}" if prob >= 0.001 else f"{prob:.1e}" for _, prob in expected]
    assert not any(bar.cut for bar in panel.stage_charts[0].bars)  # the raw model cuts nothing
    assert sum(bar.chosen for bar in bars) == 1
    assert "drawn from this" in panel.stage_charts[2].title_lines[-1]
    assert "Top-k (3)" == panel.stage_charts[2].title_lines[0]


def test_a_generation_without_a_selected_token_asks_for_a_click_not_for_a_missing_token(panel, state, record):
    state.clear_selection()
    assert panel.header.text().startswith("Click a token of the answer")
    state.select_token(0, 10_000)  # a token this generation does not have
    assert panel.header.text().startswith("The selected token is not there (yet)")


def test_selecting_through_the_state_updates_the_page(qtbot, panel, state, record):
    prompt = len(record.result.prompt_token_ids)
    tokens = record.result.sequences[0].tokens
    state.select_token(0, prompt)
    assert panel.selected.event is tokens[0]
    assert "generated token 1 of sequence 1" in panel.header.text()
    state.select_token(0, prompt + 3)
    assert panel.selected.event is tokens[3]
    assert f"entropy {tokens[3].entropy:.3f} nats" in panel.header.text()
    state.select_token(0, 1)  # a prompt token: no chain
    assert panel.selected.event is None and not panel.stage_charts
    assert "only for generated tokens" in panel.chain_note.text() and "a prompt token" in panel.header.text()
    assert panel.attention_row.isVisibleTo(panel)
    state.clear_selection()
    assert panel.selected is None and "click a token" in panel.header.text().lower()
    # Nothing to show: no empty layer box and splitter handle floating mid-page.
    assert not panel.attention_row.isVisibleTo(panel) and not panel.below.isVisibleTo(panel)


def test_a_token_the_answer_was_made_to_start_with_is_said_given_not_prompt(qtbot, panel, state, tiny_loaded):
    forced = tuple(tiny_loaded.tokenizer(" fox", add_special_tokens=False)["input_ids"])
    request = GenerationRequest(prompt="The quick brown", settings=DecodingSettings(mode="greedy", max_new_tokens=3),
                                chat=False, prefill_ids=forced, trace=True)
    record = GenerationRecord(tiny_loaded, request, drain(generate(tiny_loaded, request)))
    state.generation_finished.emit(record)
    prompt_ids = record.result.prompt_token_ids
    state.select_token(0, len(prompt_ids) - 1)  # the forced token
    assert panel.selected.event is None and panel.selected.given
    assert "given as the start of the answer" in panel.header.text()
    assert "given as the start of the answer" in panel.chain_note.text()
    state.select_token(0, len(prompt_ids) - len(forced) - 1)  # the prompt's last token
    assert not panel.selected.given and "a prompt token" in panel.header.text()


def test_streamed_tokens_are_shown_as_they_arrive(qtbot, panel, state, record, tiny_loaded):
    prompt_ids = record.result.prompt_token_ids
    state.generation_started.emit(LiveGeneration(tiny_loaded, record.request, prompt_ids))
    state.select_token(0, len(prompt_ids) + 1)
    assert panel.selected is None  # not streamed yet
    for event in record.result.sequences[0].tokens[:2]:
        state.token_streamed.emit(event)
    assert panel.selected.event is record.result.sequences[0].tokens[1]
    assert len(panel.stage_charts) == 3
    assert "once the generation finishes" in panel.attention_row.title.text()


def test_the_attention_row_is_the_predicting_position_of_a_capture(qtbot, panel, state, record, tiny_loaded):
    ids = record.result.prompt_token_ids + record.result.sequences[0].token_ids
    position = len(record.result.prompt_token_ids) + 2
    state.select_token(0, position)
    qtbot.waitUntil(lambda: panel.attention_row.weights.size > 0, timeout=10000)
    capture = capture_attention(tiny_loaded, ids)
    layer = panel.attention_row.layer_spin.value()
    assert layer == capture.main.layers - 1
    expected = capture.main.weights[layer, :, position - 1, :position].mean(axis=0)  # (heads, keys) -> (keys,)
    np.testing.assert_allclose(panel.attention_row.weights, expected, rtol=1e-5, atol=1e-7)
    panel.attention_row.layer_spin.setValue(0)
    np.testing.assert_allclose(panel.attention_row.weights,
                               capture.main.weights[0, :, position - 1, :position].mean(axis=0), rtol=1e-5, atol=1e-7)


def test_json_export_equals_the_trace(qtbot, panel, state, record, tmp_path):
    position = len(record.result.prompt_token_ids) + 1
    state.select_token(0, position)
    qtbot.waitUntil(lambda: panel.attention_row.weights.size > 0, timeout=10000)
    panel.export_json(tmp_path / "token.json")
    panel.export_png(tmp_path / "token.png")
    assert (tmp_path / "token.png").stat().st_size > 1000
    data = json.loads((tmp_path / "token.json").read_text(encoding="utf-8"))
    event = record.result.sequences[0].tokens[1]
    assert data["position"] == position and data["token"]["token_id"] == event.token_id
    assert data["token"]["entropy"] == event.entropy
    assert len(data["token"]["stages"]) == len(event.trace.stages)
    for written, stage in zip(data["token"]["stages"], event.trace.stages):
        assert written["name"] == stage.name and written["survivors"] == stage.survivors
        assert written["chosen_prob"] == stage.chosen_prob
        assert [tuple(pair) for pair in written["top"]] == list(stage.top)
    assert data["attention"]["weights"] == pytest.approx(panel.attention_row.weights.tolist())
    assert data["lens"] is None  # no lens computed
    assert data["given"] is False


def test_png_export_leaves_out_the_buttons_and_a_saved_line_goes_with_its_token(
        qtbot, panel, state, record, tmp_path, monkeypatch):
    prompt = len(record.result.prompt_token_ids)
    state.select_token(0, prompt + 1)
    path = tmp_path / "token.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(path), ""))
    on_screen = panel.grab().toImage()
    panel.png_button.click()
    assert panel.status.isVisible() and str(path) in panel.status.text()
    assert panel.png_button.isVisible() and panel.json_button.isVisible()
    saved = QImage(str(path))
    for button in (panel.png_button, panel.json_button):
        area = button.geometry()
        assert saved.copy(area) != on_screen.copy(area)  # the button is not in the image
    state.select_token(0, prompt + 2)
    assert not panel.status.isVisible()  # "Saved …" spoke of the token before


def test_a_restored_run_or_another_model_clears_the_page(qtbot, panel, state, record):
    state.select_token(0, len(record.result.prompt_token_ids))
    state.set_loaded_model(None)
    assert panel.selected is None and panel.generation is None
    assert not panel.json_button.isEnabled()


def test_a_stage_that_leaves_one_token_says_so_and_the_lens_hint_wraps(qtbot, panel, state, tiny_loaded):
    settings = DecodingSettings(mode="sample", temperature=0.8, top_k=1, top_p=1.0, max_new_tokens=3, seed=1)
    request = GenerationRequest(prompt="The quick brown", settings=settings, chat=False, trace=True)
    record = GenerationRecord(tiny_loaded, request, drain(generate(tiny_loaded, request)))
    state.generation_finished.emit(record)
    state.select_token(0, len(record.result.prompt_token_ids) + 1)
    assert panel.stage_charts[-1].title_lines[:2] == ("Top-k (1)", "1 token left")
    # No lens computed yet: the hint stands in for the chart, whole, on as many lines as it needs.
    assert panel.lens_hint.isVisibleTo(panel) and panel.lens_hint.wordWrap()
    assert panel.lens_hint.text().endswith("this token's column then shows here.")
    # The lens column keeps its chart's width beside the attention row (it started squeezed to ~70 pixels).
    assert panel.lens_hint.parentWidget().width() >= panel.lens_scroll.maximumWidth()
