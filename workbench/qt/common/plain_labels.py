"""Labels show their text as written.

Qt takes a label's text for HTML as soon as it merely looks like a tag: a token such as ``<blockquote>`` (Gemma
writes them) vanished from every title that quotes it, the title broken over lines. A label that shows rich text
on purpose says so with ``setTextFormat(Qt.TextFormat.RichText)``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel


class PlainTextLabels(QObject):
    """Installed on the application: every label still on Qt's guess (``AutoText``) is made plain as it is first
    polished, before it is shown. Tooltips are left alone: the tooltip label's text is rich on purpose (the token
    tables, the wrapped long tooltips)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (event.type() == QEvent.Type.Polish and isinstance(watched, QLabel)
                and watched.textFormat() == Qt.TextFormat.AutoText
                and watched.metaObject().className() != "QTipLabel"):
            watched.setTextFormat(Qt.TextFormat.PlainText)
        return super().eventFilter(watched, event)


def show_labels_as_plain_text(app) -> PlainTextLabels:
    """Install on ``app`` (it is its child, so it lives as long)."""
    plain = PlainTextLabels(app)
    app.installEventFilter(plain)
    return plain
