"""Where Bokeh puts ticks and what it writes under them, for the tickers and formatters the figures use.

Follows BokehJS 3 (AdaptiveTicker, LogTicker, BasicTickFormatter,
LogTickFormatter) closely enough that the image and the interactive figure show
the same ticks; a ticker or formatter we do not know falls back to the basic
ones with a logged warning.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from compute.figure_svg.scene import Shift
from compute.figure_svg.text import minus

log = logging.getLogger(__name__)

Label = list[tuple[str, Shift]]


def _interval(
    low: float, high: float, desired: int, mantissas: list[float], base: float, lo: float, hi: float
) -> float:
    span = high - low
    ideal = span / desired
    factor = 1.0 if lo == 0 else lo
    exponent = math.floor(math.log(ideal / factor) / math.log(base))
    magnitude = base**exponent * factor
    candidates = [mantissas[-1] / base, *mantissas, mantissas[0] * base]
    best = min(candidates, key=lambda m: abs(desired - span / (m * magnitude)))
    return min(max(best * magnitude, lo), hi)


def _linear(
    low: float, high: float, interval: float, minor_count: int, *, skip_zero: bool
) -> tuple[list[float], list[float]]:
    start, end = math.floor(low / interval), math.ceil(high / interval)
    factors = [f for f in range(start, end + 1) if not (skip_zero and f == 0)]
    major = [f * interval for f in factors if low <= f * interval <= high]
    minor: list[float] = []
    if minor_count > 0 and major:
        step = interval / minor_count
        offsets = [i * step for i in range(minor_count)]
        minor = [major[0] - o for o in offsets[1:]] + [t + o for t in major for o in offsets]
    return major, [m for m in minor if low <= m <= high]


def ticks(ticker: Any, start: float, end: float) -> tuple[list[float], list[float]]:
    """Major and minor tick locations of a Bokeh ticker between the range's ends."""
    low, high = min(start, end), max(start, end)
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [], []
    kind = type(ticker).__name__
    minor_count = int(getattr(ticker, "num_minor_ticks", 5) or 0)
    if kind == "FixedTicker":
        major = [float(t) for t in ticker.ticks if low <= t <= high]
        return major, [float(t) for t in ticker.minor_ticks if low <= t <= high]
    if kind == "SingleIntervalTicker":
        return _linear(low, high, float(ticker.interval), minor_count, skip_zero=False)
    if kind not in ("BasicTicker", "AdaptiveTicker", "LogTicker"):
        log.warning("figure image: ticker %s is drawn as a BasicTicker", kind)
    desired = int(getattr(ticker, "desired_num_ticks", 6) or 6)
    base = float(getattr(ticker, "base", 10.0) or 10.0)
    mantissas = [float(m) for m in getattr(ticker, "mantissas", None) or ([1, 5] if kind == "LogTicker" else [1, 2, 5])]
    lo = float(getattr(ticker, "min_interval", 0.0) or 0.0)
    hi_value = getattr(ticker, "max_interval", None)
    hi = math.inf if hi_value is None else float(hi_value)
    if kind != "LogTicker":
        return _linear(low, high, _interval(low, high, desired, mantissas, base, lo, hi), minor_count, skip_zero=False)
    if low <= 0:
        return [], []
    log_low, log_high = math.log(low) / math.log(base), math.log(high) / math.log(base)
    if log_high - log_low < 2:
        interval = _interval(low, high, desired, mantissas, base, lo, hi)
        return _linear(low, high, interval, minor_count, skip_zero=True)
    eps = 1e-6
    first = math.ceil(log_low * (1.0 - math.copysign(eps, log_low)))
    last = math.floor(log_high * (1.0 + math.copysign(eps, log_high)))
    every = math.ceil((last - first) / 9.0) or 1
    options = [base**i for i in range(first - 1, last + 1) if low <= base**i <= high]
    major = [t for i, t in enumerate(options) if i % every == 0]
    minor: list[float] = []
    if minor_count > 0 and major:
        step = base**every / minor_count
        offsets = [i * step for i in range(1, minor_count + 1)]
        top = max(offsets)
        minor = [major[0] * (o / top) for o in offsets] + [t * o for t in major for o in offsets]
    return major, [m for m in minor if low <= m <= high]


def _fixed(value: float, precision: int) -> str:
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _exponential(value: float, precision: int) -> str:
    mantissa, exponent = f"{value:.{precision}e}".split("e")
    return f"{mantissa}e{int(exponent)}"  # JavaScript's toExponential: "1.000e-4", not "e-04"


def _basic(formatter: Any, values: list[float]) -> list[str]:
    use_sci = getattr(formatter, "use_scientific", True)
    high = 10.0 ** getattr(formatter, "power_limit_high", 5)
    low = 10.0 ** getattr(formatter, "power_limit_low", -3)
    zeroish = abs(values[1] - values[0]) / 10000 if len(values) > 1 else 0.0
    sci = bool(use_sci) and any(zeroish < abs(v) and (abs(v) >= high or abs(v) <= low) for v in values)
    write = _exponential if sci else _fixed
    precision = getattr(formatter, "precision", "auto")
    if precision == "auto" or not isinstance(precision, int):
        precision = 3
        for candidate in range(3, 16):
            labels = [write(v, candidate) for v in values]
            if all(a != b for a, b in zip(labels, labels[1:], strict=False)):
                precision = candidate
                break
    return [minus(write(v, precision)) for v in values]


def _numeral(pattern: str, value: float) -> str:
    percent = pattern.endswith("%")
    if percent:
        value *= 100
    body = pattern.rstrip("%").strip()
    decimals = len(body.split(".", 1)[1].strip("[]a")) if "." in body else 0
    text = f"{value:,.{decimals}f}" if "," in body else f"{value:.{decimals}f}"
    return minus(text + ("%" if percent else ""))


def labels(formatter: Any, ticker: Any, values: list[float], overrides: dict[Any, Any] | None = None) -> list[Label]:
    """The label of each major tick, as text runs (10 with a raised exponent on log axes)."""
    if not values:
        return []
    kind = type(formatter).__name__ if formatter is not None else "BasicTickFormatter"
    out: list[Label]
    if kind == "LogTickFormatter":
        base = float(getattr(ticker, "base", 10.0) or 10.0)
        exponents = [round(math.log(v) / math.log(base)) if v > 0 else None for v in values]
        distinct = all(e is not None for e in exponents) and len(set(exponents)) == len(exponents)
        if distinct:
            min_exponent = int(getattr(formatter, "min_exponent", 0) or 0)
            out = []
            for e in exponents:
                assert e is not None
                if abs(e) < min_exponent:
                    out.append([(minus(_fixed(base**e, 12)), "")])
                else:
                    out.append([(_fixed(base, 0), ""), (minus(str(e)), "sup")])
        else:
            out = [[(t, "")] for t in _basic(formatter, values)]
    elif kind == "NumeralTickFormatter":
        out = [[(_numeral(str(formatter.format), v), "")] for v in values]
    elif kind == "PrintfTickFormatter":
        try:
            out = [[(minus(str(formatter.format) % v), "")] for v in values]
        except (TypeError, ValueError):
            out = [[(t, "")] for t in _basic(formatter, values)]
    else:
        if kind != "BasicTickFormatter":
            log.warning("figure image: tick formatter %s is drawn as a BasicTickFormatter", kind)
        out = [[(t, "")] for t in _basic(formatter, values)]
    for i, value in enumerate(values):
        for key, text in (overrides or {}).items():
            try:
                same = float(key) == value
            except (TypeError, ValueError):
                same = False
            if same:
                out[i] = [(str(text), "")]
    return out
