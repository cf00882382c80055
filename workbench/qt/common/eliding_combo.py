"""A combo box whose shown choice ends in "…" where the box is too narrow for it, rather than being cut
mid-word at the frame (Qt draws the current text clipped). The open list still shows every entry whole. For an
editable combo (the model bar's search box), ``ElidedWhileIdle`` does the same for its text field."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QComboBox, QLineEdit, QStyle, QStyleOptionComboBox, QStyleOptionFrame, QStylePainter


class ElidingComboBox(QComboBox):
    def _option(self) -> QStyleOptionComboBox:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        return option

    def shown_text(self) -> str:
        """The current choice as drawn: cut to the text field's width, with "…"."""
        option = self._option()
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        shown = self.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideRight, field.width())
        # An item's own text cut short ("…colours and…") cut again right there read "and……".
        return shown.replace("……", "…")

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QStylePainter(self)
        option = self._option()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class ElidedWhileIdle(QObject):
    """Installed on an editable combo's text field (``field.installEventFilter``): while the field does not have
    the keyboard, a text too long for it is drawn ending in "…" rather than cut mid-word at the frame; clicked
    into, to search or edit, it is the whole text again."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Paint or not isinstance(watched, QLineEdit) or watched.hasFocus():
            return False
        option = QStyleOptionFrame()
        watched.initStyleOption(option)
        # Where QLineEdit draws its text: its contents, less its text margins and the 2 pixels it keeps each side.
        area = watched.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, watched)
        margins = watched.textMargins()
        area = area.adjusted(margins.left() + 2, margins.top(), -margins.right() - 2, -margins.bottom())
        metrics = watched.fontMetrics()
        if metrics.horizontalAdvance(watched.text()) <= area.width():
            return False  # it fits: QLineEdit draws it, cursor and selection included
        painter = QPainter(watched)
        painter.setPen(watched.palette().color(QPalette.ColorRole.Text))
        painter.drawText(area, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(watched.text(), Qt.TextElideMode.ElideRight, area.width()))
        painter.end()
        return True
