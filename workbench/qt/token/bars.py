"""A small chart of labelled horizontal bars, painted by hand: a struck-out grey label and a
highlighted row are one font and one colour here, which pyqtgraph's bar items do not offer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from workbench.qt.common.theme import is_dark

CHOSEN_COLOR = QColor(255, 140, 0)  # orange, as the attention token view highlights
_BAR_COLOR = QColor(91, 141, 239)
_CUT_COLOR = QColor(150, 150, 150)
_MARGIN = 6  # pixels around the chart and between its columns


@dataclass(frozen=True)
class Bar:
    label: str  # what the row is about: a token, or a layer
    length: float  # 0..1 of the bar room
    note: str  # written after the bar (a probability)
    chosen: bool = False  # highlighted: the token that was generated
    cut: bool = False  # struck out and grey: removed at this stage
    tip: str = ""


class BarChart(QWidget):
    """Title lines (the first bold), then one row per ``Bar``: label, bar, note."""

    def __init__(self, label_width: int, bar_width: int, note_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_lines: tuple[str, ...] = ()
        self.bars: tuple[Bar, ...] = ()
        self._widths = (label_width, bar_width, note_width)
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._struck = QFont(self.font())
        self._struck.setStrikeOut(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_content(self, title_lines: Sequence[str], bars: Sequence[Bar]) -> None:
        self.title_lines, self.bars = tuple(title_lines), tuple(bars)
        self.updateGeometry()
        self.adjustSize()
        self.update()

    def _line(self) -> int:
        return QFontMetrics(self.font()).height()

    def _row_height(self) -> int:
        return self._line() + 4

    def sizeHint(self) -> QSize:  # noqa: N802
        width = sum(self._widths) + 4 * _MARGIN
        height = 2 * _MARGIN + len(self.title_lines) * self._line() + 4 + len(self.bars) * self._row_height()
        return QSize(width, height)

    def row_rect(self, row: int) -> QRect:
        top = _MARGIN + len(self.title_lines) * self._line() + 4 + row * self._row_height()
        return QRect(_MARGIN, top, self.width() - 2 * _MARGIN, self._row_height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        text_color = palette.color(QPalette.ColorRole.Text)
        line = self._line()
        for index, title in enumerate(self.title_lines):
            painter.setFont(self._bold if index == 0 else self.font())
            painter.setPen(text_color)
            rect = QRect(_MARGIN, _MARGIN + index * line, self.width() - 2 * _MARGIN, line)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             QFontMetrics(painter.font()).elidedText(title, Qt.TextElideMode.ElideRight, rect.width()))
        label_width, bar_width, note_width = self._widths
        metrics = QFontMetrics(self.font())
        for row, bar in enumerate(self.bars):
            rect = self.row_rect(row)
            label_rect = QRect(rect.left(), rect.top(), label_width, rect.height())
            bar_left = label_rect.right() + _MARGIN
            bar_rect = QRect(bar_left, rect.top() + 3, max(1, round(bar_width * min(bar.length, 1.0))),
                             rect.height() - 6)
            note_rect = QRect(bar_left + bar_width + _MARGIN, rect.top(), note_width, rect.height())
            if bar.chosen:  # the whole row tinted, so the chosen token is found at a glance
                tint = QColor(CHOSEN_COLOR)
                tint.setAlpha(90 if is_dark(palette) else 60)
                painter.fillRect(rect, tint)
            colour = _CUT_COLOR if bar.cut else CHOSEN_COLOR if bar.chosen else _BAR_COLOR
            painter.fillRect(bar_rect, colour)
            painter.setFont(self._struck if bar.cut else self._bold if bar.chosen else self.font())
            painter.setPen(_CUT_COLOR if bar.cut else text_color)
            label = QFontMetrics(painter.font()).elidedText(bar.label, Qt.TextElideMode.ElideRight, label_width)
            painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            painter.setFont(self.font())
            note = metrics.elidedText(bar.note, Qt.TextElideMode.ElideRight, note_width)
            painter.drawText(note_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, note)

    def row_at(self, y: int) -> int:
        for row in range(len(self.bars)):
            rect = self.row_rect(row)
            if rect.top() <= y <= rect.bottom():
                return row
        return -1

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            row = self.row_at(event.pos().y())
            if row >= 0 and self.bars[row].tip:
                QToolTip.showText(event.globalPos(), self.bars[row].tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
