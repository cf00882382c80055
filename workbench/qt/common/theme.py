"""Colours derived from the system palette, so light and dark themes both stay readable."""

from __future__ import annotations

import math

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# The selected token, in every view: its heatmap labels, row and column, its underline in the text, its strip marker.
SELECTION_COLOR = "#1565c0"


def apply_palette(app: QApplication) -> None:
    """Fusion draws the same on every platform; switching style resets the palette to the
    system's own, so a dark desktop gives a dark window. No colour is hard-coded."""
    app.setStyle("Fusion")


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def _blend(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() + (tint.red() - base.red()) * amount),
        round(base.green() + (tint.green() - base.green()) * amount),
        round(base.blue() + (tint.blue() - base.blue()) * amount),
    )


def probability_background(palette: QPalette, prob: float) -> QColor:
    """A background for a token chosen with probability ``prob``: unlikely tokens glow warm,
    confident ones cool. Mixed into the palette's base colour so the text colour stays readable."""
    # A broken model's NaN counts as the least likely: the colour must never stop the drawing.
    prob = min(max(prob, 0.0), 1.0) if math.isfinite(prob) else 0.0
    hue = round(120 * prob)  # 0 red (surprising) .. 120 green (expected)
    tint = QColor.fromHsv(hue, 200, 230)
    return _blend(palette.color(QPalette.ColorRole.Base), tint, 0.45 if is_dark(palette) else 0.35)


def warning_color(palette: QPalette) -> QColor:
    return QColor("#ff8a80") if is_dark(palette) else QColor("#b3261e")
