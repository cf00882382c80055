"""Item views that say what will appear in them while they are empty, instead of showing a blank box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QListWidget, QTableWidget, QTreeWidget


class _EmptyHint:
    """Mixed in before a Qt item view: ``empty_hint`` is drawn in its viewport while its model has no rows."""

    empty_hint = ""

    def set_empty_hint(self, text: str) -> None:
        self.empty_hint = text
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.empty_hint and self.model().rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect().adjusted(8, 8, -8, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_hint)


class HintedListWidget(_EmptyHint, QListWidget):
    pass


class HintedTreeWidget(_EmptyHint, QTreeWidget):
    pass


class HintedTableWidget(_EmptyHint, QTableWidget):
    pass
