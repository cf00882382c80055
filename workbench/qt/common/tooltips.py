"""Long tooltips wrapped to a readable width.

Qt draws a plain-text tooltip on one line, however long: a tooltip of three sentences ran ~1,100 pixels across
the screen (Chinese ones too). Shown as rich text, Qt wraps it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFontMetrics, QHelpEvent
from PySide6.QtWidgets import QToolTip, QWidget

WRAP_WIDTH = 420  # pixels: a line wider is wrapped here (Qt's own width for a wrapped tooltip is ~35 characters)


def wrapped(text: str) -> str:
    """``text`` as rich text Qt wraps at ``WRAP_WIDTH``, its line breaks kept."""
    return f"<table width='{WRAP_WIDTH}'><tr><td style='white-space:pre-wrap'>{html.escape(text)}</td></tr></table>"


def _too_wide(text: str) -> bool:
    """Measured, not counted: a Chinese character is as wide as two Latin letters."""
    metrics = QFontMetrics(QToolTip.font())
    return any(metrics.horizontalAdvance(line) > WRAP_WIDTH for line in text.splitlines())


def literal(text: str) -> str:
    """A tooltip that shows ``text`` as written. Qt takes tag-like text for HTML: a prompt, a sample or a token such
    as "<blockquote>" lost its tags, or showed blank. Plain text stays plain (and long, is wrapped as it is shown)."""
    if not Qt.mightBeRichText(text):
        return text
    return wrapped(text) if _too_wide(text) else f"<span style='white-space:pre'>{html.escape(text)}</span>"


class WrappedToolTips(QObject):
    """Installed on the application: shows every long plain tooltip of a widget wrapped."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ToolTip and isinstance(watched, QWidget) and isinstance(event, QHelpEvent):
            text = watched.toolTip()
            if _too_wide(text) and not Qt.mightBeRichText(text):
                QToolTip.showText(event.globalPos(), wrapped(text), watched)
                return True
        return super().eventFilter(watched, event)


def wrap_long_tooltips(app) -> WrappedToolTips:
    """Install the wrapping on ``app`` (it is its child, so it lives as long)."""
    wrapping = WrappedToolTips(app)
    app.installEventFilter(wrapping)
    return wrapping
