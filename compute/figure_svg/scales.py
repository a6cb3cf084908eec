"""Data to pixels along one axis, linear or logarithmic, as BokehJS maps a range onto the frame."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    start: float
    end: float
    log: bool
    px_start: float
    px_end: float

    def _f(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def __call__(self, value: float) -> float:
        """The pixel of a data value; NaN for a value that cannot be drawn (NaN, or not positive on a log axis)."""
        if value is None or not math.isfinite(value) or (self.log and value <= 0):
            return math.nan
        a, b = self._f(self.start), self._f(self.end)
        if b == a:
            return (self.px_start + self.px_end) / 2
        return self.px_start + (self._f(value) - a) / (b - a) * (self.px_end - self.px_start)

    def length(self, value: float, width: float) -> float:
        """The pixel length of ``width`` data units centred on ``value``."""
        return abs(self(value + width / 2) - self(value - width / 2))

    @property
    def low_px(self) -> float:
        return min(self.px_start, self.px_end)

    @property
    def high_px(self) -> float:
        return max(self.px_start, self.px_end)
