"""Sliders, spin boxes and combo boxes in a scrolling panel take the mouse wheel only once clicked into:
otherwise scrolling the panel over them would change a setting without a word."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar, QWidget

_WHEELED = (QAbstractSlider, QAbstractSpinBox, QComboBox)
_GUARDED = "workbenchScrollPast"
_CLICKED = "workbenchClickedInto"
_PANEL = "workbenchWheelPanel"
_WHEEL_ONLY = Qt.FocusPolicy.WheelFocus.value & ~Qt.FocusPolicy.StrongFocus.value  # the bit WheelFocus adds


class _WheelGuard(QObject):
    """Lets the wheel through to an editor clicked into since it last lost the focus. The focus alone is not
    enough: Tab, or a disabled button handing its focus on, would otherwise arm an editor the person never chose."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if watched.property(_PANEL):
            if kind == QEvent.Type.Wheel:  # the panel scrolls: an editor it brings under the pointer must not take over
                self._disarm(QApplication.focusWidget())
            return False
        editor = watched if watched.property(_GUARDED) else watched.parent()  # a spin box's own line edit
        if kind == QEvent.Type.MouseButtonPress:
            editor.setProperty(_CLICKED, True)
        elif kind == QEvent.Type.FocusOut and watched is editor:
            editor.setProperty(_CLICKED, False)
        elif kind == QEvent.Type.Wheel and not (editor.hasFocus() and editor.property(_CLICKED)):
            event.ignore()  # ignored and filtered: Qt hands the wheel to the parents, and the panel scrolls
            return True
        return False

    @staticmethod
    def _disarm(focused: QWidget | None) -> None:
        for editor in (focused, focused.parentWidget() if focused is not None else None):
            if editor is not None and editor.property(_GUARDED):
                editor.setProperty(_CLICKED, False)


def scroll_past(widget: QWidget) -> None:
    """``widget`` and the sliders, spin boxes and combo boxes inside it change by the wheel only once clicked into
    (the focus from Tab or the wheel does not count)."""
    guard = _WheelGuard(widget)
    if not widget.property(_GUARDED):  # a wheel that reaches the panel scrolls it (no editor took it)
        widget.setProperty(_PANEL, True)
        widget.installEventFilter(guard)
    for editor in [widget, *widget.findChildren(QWidget)]:
        if isinstance(editor, QScrollBar) or editor.property(_GUARDED):  # a combo's list scrolls; a form inside a panel
            continue
        if isinstance(editor, _WHEELED):
            # The wheel no longer gives the focus; no other way is added (a labelled slider's box takes none:
            # the slider in it is the Tab stop).
            editor.setFocusPolicy(Qt.FocusPolicy(editor.focusPolicy().value & ~_WHEEL_ONLY))
            editor.setProperty(_GUARDED, True)
            editor.installEventFilter(guard)
            line_edit = editor.lineEdit() if isinstance(editor, (QAbstractSpinBox, QComboBox)) else None
            if line_edit is not None:  # a click lands on it, the wheel and the focus on the editor
                line_edit.installEventFilter(guard)
