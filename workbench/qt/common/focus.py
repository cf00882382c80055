"""Where the keyboard goes when a page appears: its first control, not its frame (which shows no focus)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget


def focus_first_control(container: QWidget) -> bool:
    """Give the keyboard to the first control of ``container`` in the Tab order; False when it has none yet (a
    panel still being built)."""
    widget = container.nextInFocusChain()
    while widget is not None and widget is not container:
        if (container.isAncestorOf(widget) and widget.isVisible() and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            widget.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        widget = widget.nextInFocusChain()
    return False


def focus_is_on_a_control_in(container: QWidget) -> bool:
    """Whether the keyboard is at a control of ``container``. Qt hands a page switched to the focus itself when it
    finds no control in it (a panel not built yet): that is not one."""
    focused = QApplication.focusWidget()
    return (focused is not None and container.isAncestorOf(focused)
            and bool(focused.focusPolicy() & Qt.FocusPolicy.TabFocus))
