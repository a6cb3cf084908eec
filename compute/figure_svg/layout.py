"""Where the plots of a Bokeh layout go, what data each glyph renderer draws, and the ranges' extents."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compute.figure_svg import glyphs
from compute.figure_svg import visuals as v

log = logging.getLogger(__name__)


@dataclass
class Placed:
    plot: Any
    left: float
    top: float
    width: float
    height: float


def _size(model: Any, attr: str, default: float) -> float:
    value = getattr(model, attr, None)
    return float(value) if isinstance(value, (int, float)) and value > 0 else default


def place(
    model: Any, left: float = 0.0, top: float = 0.0, stretch: float | None = None
) -> tuple[list[Placed], float, float]:
    """Every plot of a layout (figure, row, column, grid) with its position; returns them, width and height."""
    kind = type(model).__name__
    if hasattr(model, "renderers") and hasattr(model, "x_range"):
        w = (
            stretch
            if stretch and getattr(model, "sizing_mode", None) in ("stretch_width", "stretch_both", "scale_width")
            else _size(model, "width", 600)
        )
        h = _size(model, "height", 600)
        return [Placed(model, left, top, w, h)], w, h
    if kind in ("Column", "Row"):
        children = [c for c in model.children if c is not None]
        spacing = float(getattr(model, "spacing", 0) or 0)
        placed: list[Placed] = []
        if kind == "Column":
            natural = max((place(c)[1] for c in children), default=0.0)
            y = top
            for child in children:
                inner, _, h = place(child, left, y, natural)
                placed += inner
                y += h + spacing
            return placed, natural, y - top - (spacing if children else 0)
        x = left
        tallest = 0.0
        for child in children:
            inner, w, h = place(child, x, top)
            placed += inner
            x += w + spacing
            tallest = max(tallest, h)
        return placed, x - left - (spacing if children else 0), tallest
    if kind in ("GridPlot", "GridBox"):
        cells = [(c[0], int(c[1]), int(c[2])) for c in model.children if c and c[0] is not None]
        widths: dict[int, float] = {}
        heights: dict[int, float] = {}
        for child, row, col in cells:
            _, w, h = place(child)
            widths[col] = max(widths.get(col, 0.0), w)
            heights[row] = max(heights.get(row, 0.0), h)
        placed = []
        for child, row, col in cells:
            x = left + sum(widths[c] for c in widths if c < col)
            y = top + sum(heights[r] for r in heights if r < row)
            placed += place(child, x, y)[0]
        return placed, sum(widths.values()), sum(heights.values())
    if kind == "Spacer":
        return [], _size(model, "width", 0), _size(model, "height", 0)
    log.warning("figure image: %s in a layout is left empty", kind)
    return [], _size(model, "width", 0), _size(model, "height", 0)


# --- ranges --------------------------------------------------------------------------------


def _renderers(plot: Any) -> Iterator[Any]:
    for r in plot.renderers:
        if type(r).__name__ == "GlyphRenderer":
            yield r


def renderer_data(renderer: Any) -> tuple[v.Data, int]:
    """A glyph renderer's data columns and length, with its view's index filter applied."""
    source = renderer.data_source
    data = dict(getattr(source, "data", None) or {})
    n = max((len(c) for c in data.values()), default=0)
    view = getattr(renderer, "view", None)
    flt = getattr(view, "filter", None)
    kind = type(flt).__name__ if flt is not None else "AllIndices"
    if kind == "AllIndices":
        return data, n
    keep: list[int] | None = None
    if flt is not None and kind == "IndexFilter" and flt.indices is not None:
        keep = [int(i) for i in flt.indices if 0 <= int(i) < n]
    elif flt is not None and kind == "BooleanFilter" and flt.booleans is not None:
        keep = [i for i, b in enumerate(flt.booleans) if b and i < n]
    if keep is None:
        log.warning("figure image: the %s of a renderer is not applied", kind)
        return data, n
    picked = {k: [list(c)[i] for i in keep] for k, c in data.items()}
    return picked, len(keep)


def _range_key(plot: Any, renderer: Any, axis: str) -> Any:
    name = getattr(renderer, f"{axis}_range_name", "default")
    if name == "default":
        return getattr(plot, f"{axis}_range")
    return getattr(plot, f"extra_{axis}_ranges").get(name, getattr(plot, f"{axis}_range"))


def is_log(plot: Any, axis: str, rng: Any) -> bool:
    if rng is getattr(plot, f"{axis}_range"):
        return type(getattr(plot, f"{axis}_scale")).__name__ == "LogScale"
    for name, other in getattr(plot, f"extra_{axis}_ranges").items():
        if other is rng:
            scale = getattr(plot, f"extra_{axis}_scales", {}).get(name)
            return type(scale).__name__ == "LogScale" if scale is not None else False
    return False


def _auto(rng: Any, low: float, high: float, log_scale: bool) -> tuple[float, float]:
    """DataRange1d's start and end for data between low and high, as BokehJS computes them."""
    padding = float(getattr(rng, "range_padding", 0.1) or 0.0)
    percent = getattr(rng, "range_padding_units", "percent") == "percent"
    default_span = float(getattr(rng, "default_span", 2.0) or 2.0)
    if log_scale:
        if not (math.isfinite(low) and low > 0):
            low = high / 100 if math.isfinite(high) and high > 0 else 0.1
        if not (math.isfinite(high) and high > 0):
            high = low * 100
        if high == low:
            span, centre = default_span + 0.001, math.log10(low)
        else:
            if percent:
                lo, hi = math.log10(low), math.log10(high)
                span = (hi - lo) * (1 + padding)
            else:
                lo, hi = math.log10(low - padding), math.log10(high + padding)
                span = hi - lo
            centre = (lo + hi) / 2
        start, end = 10 ** (centre - span / 2), 10 ** (centre + span / 2)
    else:
        if not (math.isfinite(low) and math.isfinite(high)):
            low, high = 0.0, 1.0
        if high == low:
            span = default_span
        else:
            span = (high - low) * (1 + padding) if percent else (high - low) + 2 * padding
        centre = (high + low) / 2
        start, end = centre - span / 2, centre + span / 2
    if getattr(rng, "flipped", False):
        start, end = end, start
    given_start, given_end = v.number(getattr(rng, "start", None)), v.number(getattr(rng, "end", None))
    if not math.isnan(given_start) and not (log_scale and given_start <= 0):
        start = given_start
    if not math.isnan(given_end) and not (log_scale and given_end <= 0):
        end = given_end
    return start, end


def ranges(placed: list[Placed]) -> dict[str, tuple[float, float]]:
    """Start and end of every range model in the layout, by model id (ranges may be shared by plots)."""
    found: dict[str, tuple[Any, bool, list[float]]] = {}
    for item in placed:
        plot = item.plot
        for axis in ("x", "y"):
            for rng in [getattr(plot, f"{axis}_range"), *getattr(plot, f"extra_{axis}_ranges").values()]:
                found.setdefault(rng.id, (rng, is_log(plot, axis, rng), []))
        for renderer in _renderers(plot):
            data, n = renderer_data(renderer)
            b = glyphs.bounds(renderer.glyph, data, n)
            if b is None:
                continue
            for axis, values in (("x", b[0]), ("y", b[1])):
                rng = _range_key(plot, renderer, axis)
                wanted = getattr(rng, "renderers", None)
                if wanted and renderer not in wanted:
                    continue
                _, log_scale, bucket = found[rng.id]
                bucket.extend(x for x in values if not math.isnan(x) and (not log_scale or x > 0))
    out: dict[str, tuple[float, float]] = {}
    for rid, (rng, log_scale, values) in found.items():
        kind = type(rng).__name__
        if kind == "Range1d":
            out[rid] = (float(rng.start), float(rng.end))
        elif kind == "DataRange1d":
            low, high = (min(values), max(values)) if values else (math.nan, math.nan)
            out[rid] = _auto(rng, low, high, log_scale)
        else:
            log.warning("figure image: %s ranges are drawn as 0 to 1", kind)
            out[rid] = (0.0, 1.0)
    return out


# --- one plot ------------------------------------------------------------------------------
