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
        if not self.whole or self.logMode:  # on a log axis the values are exponents: 10^2.3 is a whole step
            return levels
        # A level's spacing sets the decimals of its labels: at least 1, so that 2 reads "2", not "2.0".
        kept = [(max(spacing, 1.0), whole) for spacing, values in levels
                if (whole := [value for value in values if value == round(value)])]
        if kept:
            return kept
        return [(1.0, [float(value) for value in range(math.ceil(minVal), math.floor(maxVal) + 1)])]
