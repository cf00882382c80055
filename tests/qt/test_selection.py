"""One token selection in every view: a token clicked in the output text, on the entropy strip or
on a heatmap label is selected in all of them (position = prompt length + generated step)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QTextCursor

from tests.qt.test_entropy_strip import point_pos
from tests.qt.test_main_window import set_prompt
from workbench.qt.common.app_state import AppState
from workbench.qt.main_window import MainWindow

NEW_TOKENS = 8


@pytest.fixture
def generated(qtbot, tiny_loaded):
    """A window with its inspector panels after a greedy run, its attention captured."""
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    window.use_loaded_model(tiny_loaded)  # builds the panels
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    set_prompt(window, "The quick brown", mode="greedy", max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)
    with qtbot.waitSignal(window.state.generation_finished, timeout=15_000) as finished:
        window.generate()
    panel = window.panels[0][1].panel
    qtbot.waitUntil(lambda: panel.capture is not None and not panel.is_capturing(), timeout=10_000)
    yield window, panel, finished.args[0].result
    window.close()


def marked_step(window: MainWindow) -> int:
    """The token underlined in the output's first tab (-1: none), checked against its extra selection."""
    view = window.output_view.views()[0]
    selections = view.extraSelections()
    if view.marked >= 0:
        start, end = view.token_spans[view.marked]
        assert [(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in selections] == [(start, end)]
    else:
        assert selections == []
    return view.marked


def test_a_token_clicked_in_the_output_is_selected_in_the_heatmap_and_the_strip(qtbot, generated):
    window, panel, result = generated
    prompt_length = len(result.prompt_token_ids)
    view = window.output_view.views()[0]
    step = next(i for i, (start, end) in enumerate(view.token_spans) if i > 0 and end > start)
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.token_spans[step][0])
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cursorRect(cursor).center() + QPoint(2, 0))

    assert window.state.selected_token == (0, prompt_length + step)
    assert marked_step(window) == step
    assert panel.query == prompt_length + step
    assert panel.heatmap.selected == (prompt_length + step, prompt_length + step)
    assert panel.heatmap.left_axis.selected == prompt_length + step  # its label is drawn, bold and coloured
    strip = window.entropy_strip
    assert strip.selected == (0, step) and strip.marker.isVisible() and strip.marker.value() == step


def test_a_point_clicked_on_the_strip_is_selected_in_the_output_and_the_heatmap(qtbot, generated):
    window, panel, result = generated
    prompt_length = len(result.prompt_token_ids)
    strip = window.entropy_strip
    entropy = result.sequences[0].tokens[5].entropy
    qtbot.mouseClick(strip.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=point_pos(strip, 5, entropy))
    assert window.state.selected_token == (0, prompt_length + 5)
    assert marked_step(window) == 5
    assert panel.heatmap.selected == (prompt_length + 5, prompt_length + 5)


def test_a_heatmap_label_clicked_is_selected_in_the_output(qtbot, generated):
    window, panel, result = generated
    prompt_length = len(result.prompt_token_ids)
    window.pages.setCurrentIndex(1)  # the Attention page
    heatmap = panel.heatmap
    view_box = heatmap.plot.getViewBox()
    qtbot.waitUntil(lambda: view_box.width() > 100)

    def click_label(axis, position: int) -> None:
        cell = view_box.mapViewToScene(QPointF(position, position))
        label = axis.sceneBoundingRect().center()
        scene_pos = QPointF(label.x(), cell.y()) if axis is heatmap.left_axis else QPointF(cell.x(), label.y())
        qtbot.mouseClick(heatmap.viewport(), Qt.MouseButton.LeftButton, pos=heatmap.mapFromScene(scene_pos))

    click_label(heatmap.left_axis, prompt_length + 2)  # a query label
    assert window.state.selected_token == (0, prompt_length + 2)
    assert heatmap.selected == (prompt_length + 2, prompt_length + 2)
    assert marked_step(window) == 2 and window.entropy_strip.selected == (0, 2)

    click_label(heatmap.bottom_axis, prompt_length + 4)  # a key label
    assert window.state.selected_token == (0, prompt_length + 4)
    assert marked_step(window) == 4

    click_label(heatmap.left_axis, 1)  # a prompt token: selected on the map, nothing to mark in the output
    assert window.state.selected_token == (0, 1) and heatmap.selected == (1, 1)
    assert marked_step(window) == -1 and not window.entropy_strip.marker.isVisible()
