"""superqt's labelled sliders, each one Tab stop that the keyboard moves.

superqt's float slider ignores the keys a QSlider moves by (its ``triggerAction`` is a to-do): Temperature,
Top-p and the curves' smoothing could not be changed without a mouse. And the labelled box took the focus
itself, before its slider, so every slider was two Tab stops, the first doing nothing. And Fusion marks a focused
slider so faintly that the keyboard's place was lost among a panel of them: a ring marks it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSlider
from superqt import QDoubleSlider, QLabeledDoubleSlider, QLabeledSlider


class _FocusRing:
    """Mixed in before a slider: a ring in the selection colour while it has the keyboard focus. Fusion only tints
    the handle's edge, too faint to find the slider the Tab key reached among a panel of them."""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.hasFocus():
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 3, 3)
            painter.end()


class _FocusRingSlider(_FocusRing, QSlider):
    pass


class _KeyboardDoubleSlider(_FocusRing, QDoubleSlider):
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        steps = {Qt.Key.Key_Right: self.singleStep(), Qt.Key.Key_Up: self.singleStep(),
                 Qt.Key.Key_Left: -self.singleStep(), Qt.Key.Key_Down: -self.singleStep(),
                 Qt.Key.Key_PageUp: self.pageStep(), Qt.Key.Key_PageDown: -self.pageStep()}
        if key in steps:
            self.setValue(self.value() + steps[key])  # kept within the range by setValue
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            self.setValue(self.minimum() if key == Qt.Key.Key_Home else self.maximum())
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class _OneTabStop:
    """Mixed in before a superqt labelled slider: the slider inside is the Tab stop, not the box around it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)


class LabeledSlider(_OneTabStop, QLabeledSlider):
    _slider_class = _FocusRingSlider


class LabeledDoubleSlider(_OneTabStop, QLabeledDoubleSlider):
    _slider_class = _KeyboardDoubleSlider
