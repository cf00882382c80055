"""An empty list or tree says what will appear in it; once it has rows, only they are drawn."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidgetItem

from workbench.qt.common.empty_hint import HintedListWidget


def _inked_pixels(widget) -> int:
    image = widget.viewport().grab().toImage()
    base = widget.palette().base().color().rgb()
    return sum(image.pixel(x, y) != base for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))


def test_the_hint_is_drawn_only_while_the_view_is_empty(qtbot):
    view = HintedListWidget()
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show()
    qtbot.waitExposed(view)
    assert _inked_pixels(view) == 0  # no hint set: a plain list
    view.set_empty_hint("Every generation is kept here.")
    assert _inked_pixels(view) > 20
    QListWidgetItem("", view)  # a row with no text: whatever is drawn now is not the hint
    assert _inked_pixels(view) == 0


def test_the_runs_list_and_the_tree_say_what_they_will_hold(window):
    assert "Every generation is kept here" in window.runs_panel.list.empty_hint
    assert "fork a branch" in window.tree_dock_widget.view.empty_hint
