"""The Compare page on tiny random models: three columns stream and fill (texts, stats, a 3x3 matrix,
the strips and their hover), Stop ends it cleanly, and both exports carry the numbers shown."""

from __future__ import annotations

import html
import json
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from tests.conftest import make_tiny_loaded
from workbench.core.comparison import BITS_PER_BYTE, MEAN_LOGPROB, ColumnToken, CompareColumn
from workbench.core.decoding import DecodingSettings
from workbench.core.loading import LoadProgress
from workbench.qt.common.app_state import AppState
from workbench.qt.compare.panel import ComparePanel

GREEDY = DecodingSettings(mode="greedy", max_new_tokens=10, min_new_tokens=10)
SAMPLED = DecodingSettings(mode="sample", temperature=1.2, max_new_tokens=10, min_new_tokens=10)
SEEDS = {"tiny": 0, "tiny-5": 5, "short": 3}


def load_tiny(ref: str, cancel):
    yield LoadProgress(f"Loading {ref}")
    loaded = make_tiny_loaded(chat=False, seed=SEEDS[ref])
    if ref == "short":  # reads 12 tokens, as a model trained here on short blocks does
        loaded.model.config.max_position_embeddings = 12
    return replace(loaded, entry=replace(loaded.entry, id=ref, name=ref))


@pytest.fixture
def panel(qtbot):
    widget = ComparePanel(AppState(), load=load_tiny)
    qtbot.addWidget(widget)
    for column in (CompareColumn("tiny", GREEDY), CompareColumn("tiny", SAMPLED, seed=3),
                   CompareColumn("tiny-5", GREEDY)):
        widget.add_column(column)
    widget.resize(1366, 720)
    widget.show()
    widget.prompt_edit.setPlainText("The capital of France is")
    yield widget
    widget.shutdown()


def test_three_columns_fill(qtbot, panel):
    tokens, progress = [], []

    def seen(event) -> None:
        if isinstance(event, ColumnToken):
            tokens.append(event)
            progress.append(panel.progress.value() / panel.progress.maximum())  # after the panel took it in

    panel.job.event.connect(seen)
    panel.run_button.click()
    assert panel.stop_button.isEnabled() and not panel.run_button.isEnabled() and panel.progress.isVisible()
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.is_running(), timeout=30000)
    comparison = panel.comparison
    assert [event.column for event in tokens] == [0] * 10 + [1] * 10 + [2] * 10  # in turn
    # The bar moves with every token of a column's answer, not only when a column ends: 3 generations, 3 scorings.
    assert progress[:10] == pytest.approx([step / 10 / 6 for step in range(1, 11)])
    assert progress == sorted(progress)
    for card, outcome in zip(panel.cards, comparison.outcomes):
        assert card.text_view.toPlainText() == outcome.text and outcome.text
        assert card.text_view.verticalScrollBar().value() == 0  # a finished answer is read from its start
        assert f"{outcome.stats.length} tok" in card.stats_label.text() and "tok/s" in card.stats_label.text()
    assert comparison.outcomes[1].seed == 3 and "seed 3" in panel.cards[1].stats_label.text()
    assert "first token" in panel.cards[0].stats_label.text() and "mean surprisal" in panel.cards[0].stats_label.text()
    qtbot.wait(50)  # laid out again with the figures
    # The row of columns fits its view: with the figures under them, the cards are not cut off at the bottom.
    assert panel.columns_widget.height() <= panel.columns_scroll.viewport().height()
    values = comparison.matrix(MEAN_LOGPROB)
    assert panel.matrix.rowCount() == panel.matrix.columnCount() == 3
    header = panel.matrix.verticalHeader()  # three answers leave the row names their whole width
    assert header.width() >= header.fontMetrics().horizontalAdvance("scored by 3 · tiny-5")
    assert [[panel.matrix.item(i, j).text() for j in range(3)] for i in range(3)] == \
        [[f"{value:.3f}" for value in row] for row in values]
    assert panel.metric_combo.isEnabled()  # one tokenizer: both measures apply
    panel.metric_combo.setCurrentIndex(panel.metric_combo.findData(BITS_PER_BYTE))
    assert panel.matrix.item(2, 0).text() == f"{comparison.matrix(BITS_PER_BYTE)[2, 0]:.3f}"
    assert len(panel.strips.strips) == 2 and all(strip.per_token for strip in panel.strips.strips)
    np.testing.assert_allclose(panel.strips.strips[0].values, 0, atol=1e-6)  # column 2 runs column 1's model
    strips_height = panel.strips.height()
    panel._on_strip_hovered(1, 2)
    qtbot.wait(50)  # the layout settles
    assert panel.strips.height() == strips_height  # the three-line readout had its room: the strips stay put
    assert panel.hover_label.text() == panel.hover_text(1, 2) and "KL" in panel.hover_text(1, 2)
    assert panel.hover_text(1, 2).count("“") == 1 + 5 + 5  # the token, then both models' top 5
    # Tokens are counted from 1, as on the other strips; KL starts at the answer's 2nd token, value 2 is its 4th.
    strip, plot = panel.strips.strips[1], panel.strips._plots[1]
    assert panel.hover_text(1, 2).startswith(f"Token 4 “{html.escape(strip.labels[2])}”")
    with qtbot.waitSignal(panel.strips.hovered) as hovered:
        panel.strips._on_mouse_moved(plot.vb.mapViewToScene(QPointF(4.3, 0.0)))
    assert hovered.args == [1, 2]
    panel.reference_combo.setCurrentIndex(2)
    assert [strip.other for strip in panel.strips.strips] == [0, 1]
    assert panel.export_md_button.isEnabled() and panel.run_button.isEnabled()


def test_six_columns_scroll_rather_than_squash_the_scores(qtbot, panel):
    """At 1366 the matrix's six answers read "-2…" and five strips were squashed to 20 px with their ticks drawn
    over each other: now the figures keep their width and the strips their height, and both scroll."""
    from workbench.qt.compare.scores import STRIP_HEIGHT

    for column in (CompareColumn("tiny", GREEDY), CompareColumn("tiny-5", SAMPLED, seed=1),
                   CompareColumn("tiny", SAMPLED, seed=2)):
        panel.add_column(column)
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.is_running(), timeout=60000)
    qtbot.wait(50)
    matrix = panel.matrix
    metrics = matrix.fontMetrics()
    assert matrix.columnCount() == 6 and matrix.horizontalScrollBar().maximum() > 0
    for column in range(6):
        widest = max(metrics.horizontalAdvance(matrix.item(row, column).text()) for row in range(6))
        assert matrix.columnWidth(column) > widest, column
    assert matrix.verticalHeaderItem(0).toolTip() == "scored by 1 · tiny"
    # The row names take what the figures leave: six answers scroll, yet the names stay in view.
    figures = 6 * matrix.horizontalHeader().minimumSectionSize()
    assert matrix.verticalHeader().width() <= max(120, matrix.width() - figures)
    long_name = "HuggingFaceTB/SmolLM2-135M-Instruct"
    matrix.show_matrix(panel.comparison, panel._titles(), [long_name] * 6, MEAN_LOGPROB)
    label = f"scored by 1 · {long_name}"
    assert matrix.verticalHeader().width() < matrix.verticalHeader().fontMetrics().horizontalAdvance(label)
    assert matrix.verticalHeaderItem(0).toolTip() == label  # whole, where the header ends it in "…"
    assert len(panel.strips._plots) == 5 and panel.strips_scroll.verticalScrollBar().maximum() > 0
    for strip, plot in zip(panel.strips.strips, panel.strips._plots):
        assert plot.height() >= STRIP_HEIGHT - 1
        (ticks,) = plot.getAxis("left")._tickLevels
        highest = float(np.nanmax(strip.values))
        # 0 and the highest value; a flat strip (the same model) only 0, not the range's floor as if a value.
        assert ticks == ([(0.0, "0"), (highest, f"{highest:.3g}")] if highest > 0 else [(0.0, "0")])
    # The last strip's axis can be scrolled to: the widget asks for the layout's margins and spacing too.
    last_axis = panel.strips._plots[-1].getAxis("bottom")
    assert last_axis.sceneBoundingRect().bottom() <= panel.strips.height()
    # The wheel scrolls the strips (an event the strip leaves to the scroll area); Ctrl+wheel zooms along the text.
    plot = panel.strips._plots[0]
    where = QPointF(panel.strips.mapFromScene(plot.vb.sceneBoundingRect().center()))
    before = plot.vb.viewRange()[0]
    for modifiers, zooms in ((Qt.KeyboardModifier.NoModifier, False), (Qt.KeyboardModifier.ControlModifier, True)):
        wheel = QWheelEvent(where, panel.strips.viewport().mapToGlobal(where), QPoint(), QPoint(0, -120),
                            Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(panel.strips.viewport(), wheel)
        assert wheel.isAccepted() == zooms and (plot.vb.viewRange()[0] != before) == zooms


def test_fewer_columns_share_the_room_up_to_a_readable_width(qtbot, panel):
    from workbench.qt.compare.column import COLUMN_MAX_WIDTH, COLUMN_WIDTH

    qtbot.waitUntil(lambda: all(card.width() >= COLUMN_WIDTH for card in panel.cards))
    panel.remove_column(panel.cards[2])
    panel.remove_column(panel.cards[1])
    # One column at 1366 pixels: its settings line is no longer cut short beside empty room, nor a page wide.
    qtbot.waitUntil(lambda: panel.cards[0].width() == COLUMN_MAX_WIDTH)


def test_stop_ends_it_cleanly(qtbot, panel):
    for card in panel.cards:
        card._settings = replace(card._settings, max_new_tokens=100, min_new_tokens=100)
    panel.job.event.connect(lambda event: panel.stop_button.click() if isinstance(event, ColumnToken) else None)
    panel.run()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30000)
    assert "Cancelled" in panel.status.text() and panel.comparison is None
    assert panel.matrix.rowCount() == 0 and not panel.progress.isVisible()
    # The stopped column keeps its text so far and says so; the ones after it never ran.
    assert [card.stats_label.text() for card in panel.cards] == ["stopped: the text so far", "not run", "not run"]
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    assert all(card.model_combo.isEnabled() for card in panel.cards)
    assert panel.cache.refs == ["tiny"]  # kept for the next run


def test_exports_carry_the_numbers_shown(qtbot, panel, tmp_path, monkeypatch):
    panel.run()
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.is_running(), timeout=30000)
    comparison = panel.comparison
    for suffix in (".md", ".json"):
        target = tmp_path / f"comparison{suffix}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args, target=target: (str(target), ""))
        (panel.export_md_button if suffix == ".md" else panel.export_json_button).click()
        assert panel.status.text().startswith("Saved")
    data = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    for metric in (MEAN_LOGPROB, BITS_PER_BYTE):
        np.testing.assert_allclose(np.array(data["matrix"][metric]), comparison.matrix(metric))
    assert [column["text"] for column in data["columns"]] == [card.text_view.toPlainText() for card in panel.cards]
    markdown = (tmp_path / "comparison.md").read_text(encoding="utf-8")
    for value in comparison.matrix(MEAN_LOGPROB).ravel():
        assert f"{value:.4f}" in markdown


def test_the_runs_to_add_read_apart_by_how_they_were_decoded(panel):
    from workbench.core.sessions import Run, settings_to_dict

    def run(settings, seed):
        return Run("tiny", "Tiny", "Explain what a rainbow is in one sentence, please.", "", False,
                   settings_to_dict(settings), seed, (), 5, False, None, 1.0, 1.0)

    panel.state.session_runs = lambda: [run(GREEDY, None), run(SAMPLED, 7)]
    panel._fill_add_menu()
    runs_menu = next(action.menu() for action in panel.add_menu.actions() if action.text() == "From a run")
    texts = [action.text() for action in runs_menu.actions()]
    assert texts[0].endswith(
        "Explain what a rainbow is in one senten… · sample T 1.2 · top-k 50 · top-p 0.9 · exactly 10 tokens · seed 7")
    assert texts[1].endswith("Explain what a rainbow is in one senten… · greedy · exactly 10 tokens")
    assert "on this page's prompt" in runs_menu.actions()[0].toolTip()
    runs_menu.actions()[0].trigger()  # the column says where it came from
    card = panel.cards[-1]
    assert card.number_label.text().startswith(f"{len(panel.cards)} · run ")


def test_a_columns_settings_dialog_is_deleted_by_qt_once_closed(qtbot, panel):
    """Left to Python, the dialog's reference cycle was collected on whichever thread the garbage collector ran
    next (a model loader's), and destroying widgets there crashed the window."""
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer

    from workbench.qt.compare.column import DecodingDialog

    card = panel.cards[0]

    def accept_when_shown() -> None:
        dialog = QCoreApplication.instance().activeModalWidget()
        if dialog is None:  # not on screen yet: a busy machine takes longer
            QTimer.singleShot(10, accept_when_shown)
        else:
            dialog.accept()

    QTimer.singleShot(0, accept_when_shown)
    card.edit_settings()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert card.findChildren(DecodingDialog) == []


def test_before_a_run_the_strips_say_what_they_will_show(qtbot):
    import pyqtgraph as pg

    from workbench.qt.compare.scores import DisagreementStrips

    strips = DisagreementStrips()
    qtbot.addWidget(strips)
    labels = [item for item in strips.ci.items if isinstance(item, pg.LabelItem)]
    assert [label.text for label in labels] == [
        "After a run: where each answer's model parts from the reference, along its text."]


def test_a_columns_settings_start_from_a_preset_and_keep_its_seed(qtbot):
    from workbench.core.decoding import PRESETS
    from workbench.qt.compare.column import DecodingDialog

    dialog = DecodingDialog(replace(SAMPLED, seed=42))
    qtbot.addWidget(dialog)
    names = [dialog.preset_combo.itemData(index) for index in range(dialog.preset_combo.count())]
    assert names == [None, *PRESETS]
    greedy = names.index("Greedy")
    dialog.preset_combo.setCurrentIndex(greedy)
    dialog.preset_combo.activated.emit(greedy)
    assert dialog.settings() == replace(PRESETS["Greedy"], seed=42)  # the preset exactly: nothing of sampling stays


def test_a_trained_checkpoint_is_named_as_the_model_picker_names_it(qtbot, tiny_folder, tmp_path):
    """Not by the English name saved in its config ("run (checkpoint, step 50)"): the picker's words, translated."""
    from tests.qt.test_model_picker import _run
    from workbench.core.catalog import Catalog

    run = _run(tiny_folder, tmp_path / "poems", final=False, step=50, modified=2_000)
    config = json.loads((run / "checkpoint" / "config.json").read_text(encoding="utf-8"))
    config["workbench_name"] = "poems (checkpoint, step 50)"
    (run / "checkpoint" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    widget = ComparePanel(AppState(Catalog()), load=load_tiny)
    qtbot.addWidget(widget)
    card = widget.add_column(CompareColumn(str((run / "checkpoint").resolve()), GREEDY))
    assert card.model_combo.currentText() == "poems — checkpoint, step 50"
    # A finished run's checkpoint is listed too, not only its final model: a column shows it by its name, not
    # its folder's path, and can be moved to it.
    finished = _run(tiny_folder, tmp_path / "odes", final=True, step=80, modified=3_000)
    widget._refresh_models()
    names = [card.model_combo.itemText(index) for index in range(card.model_combo.count())]
    assert "odes — final model" in names and "odes — checkpoint, step 80" in names, names
    other = widget.add_column(CompareColumn(str((finished / "checkpoint").resolve()), GREEDY))
    assert other.model_combo.currentText() == "odes — checkpoint, step 80"
    widget.shutdown()


def test_a_columns_seed_can_be_set_only_where_it_samples(qtbot):
    """Greedy and beam search draw nothing: their seed box was enabled, and a seed there changed nothing."""
    from workbench.qt.compare.column import ColumnCard

    card = ColumnCard([], CompareColumn("tiny", replace(SAMPLED, mode="greedy"), seed=5))
    qtbot.addWidget(card)
    assert not card.seed_check.isEnabled() and not card.seed_spin.isEnabled()
    card._settings = SAMPLED
    card._show_settings()
    assert card.seed_check.isEnabled() and card.seed_spin.isEnabled()  # checked: its seed can be edited
    card.set_editable(False)  # while the page runs
    assert not card.seed_check.isEnabled() and not card.seed_spin.isEnabled()


def test_a_model_that_reads_fewer_tokens_than_an_answer_leaves_only_its_cells_empty_and_says_why(qtbot):
    panel = ComparePanel(AppState(), load=load_tiny)
    qtbot.addWidget(panel)
    panel.add_column(CompareColumn("tiny", DecodingSettings(mode="greedy", max_new_tokens=16, min_new_tokens=16)))
    panel.add_column(CompareColumn("short", DecodingSettings(mode="greedy", max_new_tokens=4, min_new_tokens=4)))
    panel.prompt_edit.setPlainText("The capital")
    panel.run()
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.is_running(), timeout=30000)
    cells = [[panel.matrix.item(i, j).text() for j in range(2)] for i in range(2)]
    assert cells[1][0] == "–" and all(cell != "–" for cell in (cells[0][0], cells[0][1], cells[1][1]))
    assert "reads at most 12" in panel.matrix.item(1, 0).toolTip()
    assert "could not be taken" in panel.status.text()
    # Column 1's answer is too long for column 2's model: no strip, and the reason instead of "add a column".
    assert panel.strips.strips == [] and "reads at most 12" in panel.hover_label.text()
    panel.reference_combo.setCurrentIndex(1)
    assert len(panel.strips.strips) == 1
    panel.shutdown()



def test_the_columns_and_the_last_comparison_are_there_after_a_restart(qtbot, panel):
    panel.run()
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.is_running(), timeout=30000)
    shown = panel.comparison
    cells = [[panel.matrix.item(i, j).text() for j in range(3)] for i in range(3)]
    stats = [card.stats_label.text() for card in panel.cards]
    saved = panel.state.compare_columns()  # what the session keeps
    panel.shutdown()

    state = AppState()
    state.saved_compare_columns = json.loads(json.dumps(saved))
    again = ComparePanel(state, load=load_tiny)
    qtbot.addWidget(again)
    assert again.columns() == list(shown.columns)
    assert [card.text_view.toPlainText() for card in again.cards] == [outcome.text for outcome in shown.outcomes]
    assert [card.stats_label.text() for card in again.cards] == stats
    assert [[again.matrix.item(i, j).text() for j in range(3)] for i in range(3)] == cells
    assert len(again.strips.strips) == 2 and again.export_json_button.isEnabled() and again.status.text()
    np.testing.assert_array_equal(again.strips.strips[1].values, panel.strips.strips[1].values)
    assert again.hover_text(1, 2) == panel.hover_text(1, 2)

    # A changed column makes the scores those of columns that are gone: they are not shown, nor kept.
    with qtbot.waitSignal(state.page_input_edited):
        again.cards[1].seed_spin.setValue(4)
    assert again.comparison is None and not again.export_json_button.isEnabled()
    assert state.compare_columns()[1]["seed"] == 4
    third = ComparePanel(AppState(), load=load_tiny)
    qtbot.addWidget(third)
    assert third.comparison is None and third.cards == []
    again.shutdown()
    third.shutdown()


def test_an_answer_the_model_ended_at_once_says_so_instead_of_an_empty_box(qtbot, panel):
    from workbench.core.comparison import ColumnOutcome, ColumnStats
    from workbench.core.sessions import RunSequence, RunToken

    card = panel.cards[0]
    card.show_outcome(ColumnOutcome("tiny", "tiny", RunSequence("", (RunToken("", 0.9),)), None,
                                    ColumnStats(0.1, 10.0, 1, 0.1)))
    assert card.text_view.toPlainText() == "" and "ended the text at its first step" in card.text_view.placeholderText()
    card.begin()
    assert card.text_view.placeholderText() == ""
