"""Small helpers shared by the group-b reference experiments (the registry skips this module)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log(y) against log(x); every value must be positive."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("need at least two matching points")
    lx = [math.log(float(v)) for v in x]
    ly = [math.log(float(v)) for v in y]
    mx = sum(lx) / len(lx)
    my = sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    sxy = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
    return sxy / sxx


def even_indices(length: int, count: int) -> list[int]:
    """At most ``count`` sorted, distinct, evenly spaced indices into a series of ``length`` points."""
    if length <= 0:
        return []
    if length <= count:
        return list(range(length))
    return sorted({round((length - 1) * k / (count - 1)) for k in range(count)})


def check_positive_distinct(values: Sequence[float], name: str) -> list[float]:
    """Sorted copy of ``values`` or ValueError when any is not positive or two are equal."""
    if any(v <= 0 for v in values):
        raise ValueError(f"every {name} must be positive")
    if len(set(values)) != len(values):
        raise ValueError(f"the {name} must be distinct")
    return sorted(values)
