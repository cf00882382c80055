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


def test_a_tooltip_of_text_that_looks_like_html_shows_it_as_written(qtbot):
    """A prompt, a sample or a token such as "<blockquote>" (Gemma writes them) lost its tags in the tooltips that
    quote it, or showed nothing."""
    from PySide6.QtGui import QTextDocument

    from workbench.qt.common.tooltips import literal

    assert literal("plain words") == "plain words"  # left for Qt to show (and the filter to wrap when long)
    for text in ("<blockquote>", "Fork at “<b>”", "<blockquote><strong>长城</strong> " * 12):
        shown = QTextDocument()
        shown.setHtml(literal(text))
        assert shown.toPlainText().strip() == text.strip(), text  # (the wrapping table adds a line around it)
