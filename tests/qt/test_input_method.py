"""Typing through an input method (pinyin): the composing text and the placeholder never overlap, and the
committed characters land in the prompt."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QInputMethodEvent

from workbench.qt.generation.prompt_editor import PromptEditor


def test_the_placeholder_steps_aside_while_pinyin_is_composed(qtbot):
    editor = PromptEditor()
    qtbot.addWidget(editor)
    box = editor.prompt_edit
    placeholder = box.placeholderText()
    assert placeholder
    QCoreApplication.sendEvent(box, QInputMethodEvent("nihao", []))
    assert box.placeholderText() == "" and box.toPlainText() == ""
    committed = QInputMethodEvent()
    committed.setCommitString("你好")
    QCoreApplication.sendEvent(box, committed)
    assert box.toPlainText() == "你好" and box.placeholderText() == placeholder
