"""Numerical helpers shared by the reference experiments: fits, subsampling, eigenlearning.

The leading underscore keeps the registry from looking for an experiment here;
``compute.runner.code_hash`` still hashes this file, so changing a helper
invalidates every cached result that might depend on it.
"""

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


def subsample_indices(length: int, count: int, *, log: bool = False) -> list[int]:
    """At most ``count`` sorted, distinct indices into a series of ``length`` points, first and last included.

    Evenly spaced by default; with ``log`` the indices are spaced
    geometrically, which keeps the early part of a curve drawn on a log axis.
    """
    if length <= 0:
        return []
    if length <= count:
        return list(range(length))
    if count < 2:
        raise ValueError("need a count of at least two to keep both ends")
    if log:
        raw = [math.exp(math.log(length) * k / (count - 1)) - 1 for k in range(count)]
    else:
        raw = [(length - 1) * k / (count - 1) for k in range(count)]
    return sorted({min(length - 1, max(0, round(r))) for r in raw})


def solve_kappa(eigenvalues: Sequence[float], n: float, ridge: float) -> float:
    """Effective regularisation kappa of eigenlearning: n = sum_i l_i/(l_i+kappa) + ridge/kappa.

    The right-hand side decreases in kappa, so bisection on log(kappa) is safe.
    With ridge 0 and n at or above the number of nonzero eigenvalues there is
    no positive solution; the caller must not ask for that.
    """
    import numpy as np

    lams = np.asarray([float(v) for v in eigenvalues if v > 0], dtype=np.float64)

    def excess(kappa: float) -> float:
        return float((lams / (lams + kappa)).sum()) + ridge / kappa - n

    lo, hi = 1e-300, max(1.0, float(lams.sum()) + ridge) * 1e6
    if excess(hi) > 0:
        raise ValueError("no kappa: n is too small")
    if excess(lo) < 0:
        raise ValueError("no kappa: n exceeds the number of nonzero eigenvalues")
    llo, lhi = math.log(lo), math.log(hi)
    for _ in range(200):
        mid = 0.5 * (llo + lhi)
        if excess(math.exp(mid)) > 0:
            llo = mid
        else:
            lhi = mid
    return math.exp(0.5 * (llo + lhi))


def mean_and_sem(values: Sequence[float]) -> tuple[float, float]:
    """The mean of independent draws and its standard error: the sample standard deviation over √draws.

    Every experiment that averages over draws or seeds reports this spread
    beside its mean, as ``<series>_sem`` (0 for a single draw, where nothing
    can be said).
    """
    n = len(values)
    if n == 0:
        raise ValueError("need at least one value")
    mean = sum(float(v) for v in values) / n
    if n == 1:
        return mean, 0.0
    variance = sum((float(v) - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)
