"""The marks of a figure: theory lines, measured markers with their spread, reference rules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from compute.plotting.theme import LINE_WIDTH, MARKER_SIZE, SPREAD_ALPHA, THEME, color, marker

if TYPE_CHECKING:
    from bokeh.models.annotations import Span
    from bokeh.models.renderers import GlyphRenderer
    from bokeh.plotting import figure as Figure


def _source(x: Sequence[Any], y: Sequence[Any], label: str, extra: dict[str, list[float]] | None = None) -> Any:
    from bokeh.models import ColumnDataSource

    x_list, y_list = list(x), list(y)
    if len(x_list) != len(y_list):
        raise ValueError(f"series {label!r}: {len(x_list)} x values and {len(y_list)} y values")
    return ColumnDataSource({"x": x_list, "y": y_list, "series": [label] * len(x_list), **(extra or {})})


def add_theory(
    fig: Figure, x: Sequence[Any], y: Sequence[Any], *, label: str, index: int = 0, dash: str = "solid"
) -> GlyphRenderer:
    """A theory curve: a line in the series' colour, tagged ``"theory"``.

    ``label`` names the series; a measured series with the same label shares
    its legend entry (one entry shows the line and the markers together).
    """
    renderer = fig.line(
        "x", "y", source=_source(x, y, label), color=color(index), line_width=LINE_WIDTH, line_dash=dash
    )
    renderer.tags = ["theory"]
    renderer.name = f"theory:{label}"
    return renderer


def add_measured(
    fig: Figure,
    x: Sequence[Any],
    y: Sequence[Any],
    *,
    label: str,
    index: int = 0,
    line: bool = False,
    spread: Sequence[float] | None = None,
    max_markers: int = 30,
) -> GlyphRenderer:
    """Measured points: markers in the series' colour and shape, tagged ``"measured"``.

    ``line`` joins them with a thin line; a joined series of more than
    ``max_markers`` points shows markers at that many of them, evenly spaced
    along the x axis (a view of the same data source: the data stay whole).

    ``spread`` is the half-width of each point's uncertainty (the experiments
    pass a standard error of the mean), drawn as a band around joined markers
    or as error bars around separate ones, tagged ``"spread"``. The band or
    bars read the columns ``lower`` and ``upper`` of the markers' own source,
    so the plotted data stays one series. On a log axis a lower end at or below
    zero is drawn at a thousandth of its point, from a column ``lower_drawn``.
    """
    from bokeh.models import CDSView, IndexFilter, LogScale

    extra = None
    if spread is not None:
        half = [float(v) for v in spread]
        if len(half) != len(y):
            raise ValueError(f"series {label!r}: {len(half)} spreads for {len(y)} points")
        extra = {
            "lower": [float(v) - w for v, w in zip(y, half, strict=True)],
            "upper": [float(v) + w for v, w in zip(y, half, strict=True)],
        }
    source = _source(x, y, label, extra)
    tint = color(index)
    view = CDSView()
    if line and len(source.data["x"]) > max_markers:
        log_x = isinstance(fig.x_scale, LogScale)
        view = CDSView(filter=IndexFilter(indices=_spaced(source.data["x"], max_markers, log_x)))
    renderer = fig.scatter(
        "x",
        "y",
        source=source,
        view=view,
        marker=marker(index),
        size=MARKER_SIZE,
        fill_color=tint,
        line_color=tint,
        fill_alpha=0.9,
    )
    renderer.tags = ["measured"]
    renderer.name = f"measured:{label}"
    if line:
        joined = fig.line("x", "y", source=source, color=tint, line_width=1.25, line_alpha=0.6)
        joined.tags = ["measured"]
        joined.name = f"measured:{label}"
    if extra is not None:
        low = "lower"
        if isinstance(fig.y_scale, LogScale) and any(v <= 0 for v in extra["lower"]):
            low = "lower_drawn"
            source.data[low] = [a if a > 0 else float(v) / 1000 for a, v in zip(extra["lower"], y, strict=True)]
        spread_renderer: GlyphRenderer[Any]
        if line:
            spread_renderer = fig.varea(
                x="x", y1=low, y2="upper", source=source, fill_color=tint, fill_alpha=SPREAD_ALPHA
            )
        else:
            spread_renderer = fig.segment(
                x0="x", y0=low, x1="x", y1="upper", source=source, line_color=tint, line_width=1.5
            )
        # Drawn under the markers and lines, though it follows them in the renderer list (so that the
        # data downloads, which take each source's first renderer, call the series "measured").
        spread_renderer.level = "underlay"
        spread_renderer.tags = ["spread"]
        spread_renderer.name = f"spread:{label}"
    return renderer


def _spaced(x: Sequence[Any], count: int, log: bool) -> list[int]:
    """About ``count`` indices of ``x`` (sorted) whose values are evenly spaced on a linear or log axis."""
    values = [math.log(v) if log and v > 0 else float(v) for v in x]
    lo, hi = min(values), max(values)
    if hi == lo:
        return [0]
    picked: set[int] = set()
    j = 0
    for k in range(count):
        target = lo + (hi - lo) * k / (count - 1)
        while j + 1 < len(values) and abs(values[j + 1] - target) <= abs(values[j] - target):
            j += 1
        picked.add(j)
    return sorted(picked)


def add_rule(
    fig: Figure,
    location: float,
    *,
    label: str = "",
    index: int | None = None,
    dimension: Literal["width", "height"] = "height",
) -> Span:
    """A reference rule across the plot (vertical at ``x = location`` by default), dotted.

    In muted ink, or in series ``index``'s colour when the rule belongs to a
    series. With a ``label`` the compact key shows the rule and says what it marks.
    """
    from bokeh.models.annotations import Span

    ink = THEME["light"]["muted"] if index is None else color(index)
    rule = Span(location=location, dimension=dimension, line_color=ink, line_dash="dotted", line_width=1.5)
    rule.tags = ["rule"]
    rule.name = f"rule:{label}" if label else "rule"
    fig.add_layout(rule)
    return rule
