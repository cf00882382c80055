"""Sliders, spin boxes and combo boxes in a scrolling panel take the mouse wheel only once clicked into:
otherwise scrolling the panel over them would change a setting without a word."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QScrollBar, QWidget

_WHEELED = (QAbstractSlider, QAbstractSpinBox, QComboBox)
_GUARDED = "workbenchScrollPast"


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # ignored and filtered: Qt hands the wheel to the parents, and the panel scrolls
            return True
        return False


def scroll_past(widget: QWidget) -> None:
    """``widget`` and the sliders, spin boxes and combo boxes inside it change by the wheel only with the focus
    (a click or Tab gives it; the wheel no longer does)."""
    guard = _WheelGuard(widget)
    for editor in [widget, *widget.findChildren(QWidget)]:
        if isinstance(editor, QScrollBar) or editor.property(_GUARDED):  # a combo's list scrolls; a form inside a panel
            continue
        if isinstance(editor, _WHEELED):
            editor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            editor.installEventFilter(guard)
            editor.setProperty(_GUARDED, True)
