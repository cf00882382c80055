"""Axis ticks for counts: a token number, a step or a token count is never 1.5."""

from __future__ import annotations

import math

import pyqtgraph as pg


class WholeNumberAxis(pg.AxisItem):
    """Ticks only at whole numbers while ``whole`` (pyqtgraph's own choice otherwise, for seconds or epochs):
    zoomed in on a few steps, pyqtgraph would tick 1, 1.5, 2, 2.5."""

    whole = True

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        levels = super().tickValues(minVal, maxVal, size)
        if not self.whole:
            return levels
        kept = [(spacing, whole) for spacing, values in levels if (whole := [v for v in values if v == round(v)])]
        if kept:
            return kept
        return [(1.0, [float(value) for value in range(math.ceil(minVal), math.floor(maxVal) + 1)])]
