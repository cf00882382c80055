"""A list of rows in columns whose rows grow to fit their wrapped text (training samples, probe continuations)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize
from PySide6.QtWidgets import QHeaderView, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget, QWidget


class _ColumnWidthDelegate(QStyledItemDelegate):
    """Measures a cell at its column's width. QTreeView asks for a row's height with no width (its source says
    word wrapping would need it), so a wrapped cell measured as one line, its text cut at the column's end."""

    def __init__(self, view: QTreeWidget) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt's name)
        if self._view.header().sectionResizeMode(index.column()) == QHeaderView.ResizeMode.ResizeToContents:
            return super().sizeHint(option, index)  # its width is taken from this hint: measured at its own, unwrapped
        measured = QStyleOptionViewItem(option)
        measured.rect = QRect(0, 0, self._view.columnWidth(index.column()), 1)
        return super().sizeHint(measured, index)


class WrappedRowsTreeWidget(QTreeWidget):
    """A ``QTreeWidget`` of rows whose cells wrap: each row as high as its longest cell needs at its column's
    width, measured again when a column's width changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRootIsDecorated(False)
        self.setWordWrap(True)
        self.setUniformRowHeights(False)
        self.setItemDelegate(_ColumnWidthDelegate(self))
        self.header().sectionResized.connect(self.scheduleDelayedItemsLayout)
