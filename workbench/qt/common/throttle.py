"""Throttled redraws (superqt's ``qthrottled``) that land before their widget goes away.

A throttle restarts its timer after every run to keep the rate, so a timer stays active
for one interval after the last call. When the widget closes or hides (its window
closing hides it), whatever is held back runs now and the timer stops: the last call
always lands and no timer outlives the widget. Throttles are parented to their widget,
so they are destroyed with it.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class Throttled(Protocol):
    """What ``qthrottled`` returns (superqt does not export the class itself)."""

    def flush(self, restart_timer: bool = True) -> None: ...


class _LandOnClose(QObject):
    def __init__(self, widget: QWidget, throttles: tuple[Throttled, ...]) -> None:
        super().__init__(widget)
        self.throttles = throttles
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Close, QEvent.Type.Hide):
            for throttled in self.throttles:
                throttled.flush(restart_timer=False)
        return False


def land_when_closed(widget: QWidget, *throttles: Throttled) -> None:
    """Run what ``throttles`` hold back and stop their timers when ``widget`` closes or hides."""
    _LandOnClose(widget, throttles)
