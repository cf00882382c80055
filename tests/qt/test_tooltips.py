"""Long plain tooltips are shown wrapped (as rich text); short and rich ones as they are."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QPushButton, QToolTip

from workbench.qt.common.tooltips import WrappedToolTips, wrapped


def _hover(widget) -> str:
    QToolTip.hideText()
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), widget.mapToGlobal(QPoint(5, 5))))
    return QToolTip.text()


def test_a_long_plain_tooltip_is_shown_wrapped_and_a_short_one_as_it_is(qtbot, qapp):
    wrapping = WrappedToolTips()
    qapp.installEventFilter(wrapping)
    try:
        button = QPushButton("Stop")
        qtbot.addWidget(button)
        button.show()
        qtbot.waitExposed(button)
        # Too wide with any font: a machine without a CJK font measures Chinese characters as narrow boxes.
        long_text = ("停止生成，保留目前已写出的内容。Stop generating and keep what was written so far. " * 2
                     + "\nA second line & <tags> stay text.")
        button.setToolTip(long_text)
        assert _hover(button) == wrapped(long_text) and "&lt;tags&gt;" in wrapped(long_text)
        button.setToolTip("Stop (Esc).")
        assert _hover(button) == "Stop (Esc)."
    finally:
        qapp.removeEventFilter(wrapping)
        QToolTip.hideText()
