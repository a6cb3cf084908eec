"""A new figure in the house style, and the fixed ticks of its log axes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from compute.plotting.theme import FONT_FAMILY, FONT_SIZES, HEIGHT, THEME

if TYPE_CHECKING:
    from bokeh.plotting import figure as Figure

_TOOLS = "pan,box_zoom,wheel_zoom,reset,save"


def new_figure(
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_log: bool = False,
    y_log: bool = False,
    height: int = HEIGHT,
) -> Figure:
    """An empty figure in the house style: themed text and grid, transparent, no logo, a quiet toolbar.

    The toolbar sits inside the plot and shows only while the pointer is over
    it; no drag or scroll tool is active, so a swipe or a wheel turn that starts
    on the figure scrolls the page (a reader turns on pan or zoom first).
    """
    from bokeh.models import HoverTool, LogTickFormatter
    from bokeh.models.annotations import Title
    from bokeh.plotting import figure

    ink = THEME["light"]
    fig = figure(
        title=title or None,
        x_axis_label=x_label,
        y_axis_label=y_label,
        x_axis_type="log" if x_log else "linear",
        y_axis_type="log" if y_log else "linear",
        height=height,
        sizing_mode="stretch_width",
        tools=_TOOLS,
        toolbar_location="above",
        min_border_left=8,
        min_border_right=16,
        min_border_top=8,
        min_border_bottom=8,
    )
    fig.toolbar_inner = True
    fig.toolbar.autohide = True
    fig.toolbar.logo = None
    fig.toolbar.active_drag = None
    fig.toolbar.active_scroll = None
    fig.toolbar.active_tap = None
    fig.toolbar.active_multi = None
    fig.background_fill_color = None
    fig.border_fill_color = None
    fig.outline_line_color = None

    if isinstance(fig.title, Title):
        fig.title.text_color = ink["text"]
        fig.title.text_font = FONT_FAMILY
        fig.title.text_font_size = FONT_SIZES["title"]
        fig.title.text_font_style = "bold"
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.axis_label_text_color = ink["text"]
        axis.axis_label_text_font = FONT_FAMILY
        axis.axis_label_text_font_size = FONT_SIZES["axis_label"]
        axis.axis_label_text_font_style = "normal"
        axis.major_label_text_color = ink["muted"]
        axis.major_label_text_font = FONT_FAMILY
        axis.major_label_text_font_size = FONT_SIZES["tick"]
        axis.axis_line_color = ink["axis"]
        axis.major_tick_line_color = ink["axis"]
        axis.minor_tick_line_color = ink["axis"]
        axis.major_tick_out = 5
        axis.minor_tick_out = 2
        axis.major_tick_in = 0
        axis.minor_tick_in = 0
        if isinstance(axis.formatter, LogTickFormatter):
            # 0.001 to 1000 as plain numbers; beyond, 10 with a superscript exponent.
            axis.formatter.min_exponent = 4
    for grid in (*fig.xgrid, *fig.ygrid):
        grid.grid_line_color = ink["grid"]
        grid.grid_line_width = 1
        grid.minor_grid_line_color = None

    hover = HoverTool(
        tooltips=[("", "@series"), (x_label or "x", "@x{%.4g}"), (y_label or "y", "@y{%.4g}")],
        formatters={"@x": "printf", "@y": "printf"},
    )
    fig.add_tools(hover)
    return fig


_MANTISSAS = ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0, 7.0), (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0))


def log_ticks(low: float, high: float, *, most: int = 7) -> tuple[list[float], list[float]]:
    """Major and minor ticks for a log axis spanning [low, high] (both positive).

    Majors at 1, 2 and 5 (or fewer, or more, mantissas) per decade: the coarsest
    set that puts at least three ticks in the range, thinned to every k-th decade
    when a wide range would have more than ``most``. Minors at 1 to 9 per decade.
    """
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = range(lo, hi + 1)
    majors: list[float] = []
    for mantissas in _MANTISSAS:
        majors = [v for v in (_tidy(m * 10.0**k) for k in decades for m in mantissas) if low <= v <= high]
        if len(majors) >= 3:
            break
    if len(majors) > most:
        step = math.ceil(len(majors) / most)
        powers = [k for k in decades if low <= 10.0**k <= high]
        majors = [10.0**k for k in powers if (k - powers[0]) % step == 0] if powers else majors[::step]
    minors = [_tidy(m * 10.0**k) for k in range(lo - 1, hi + 1) for m in range(1, 10)]
    return majors, [v for v in minors if low / 10 <= v <= high * 10]


def _tidy(value: float) -> float:
    """A tick value without binary noise (0.3, not 0.30000000000000004)."""
    return float(f"{value:.6g}")


def fix_log_ticks(fig: Figure, renderers: Sequence[Any]) -> None:
    """Fix the ticks of each log axis from the plotted data, so they are even, labelled and the same everywhere.

    BokehJS's own log ticker falls back to linear ticks on a range short of a
    decade (crowded at the top); fixed ticks also spare the static images from
    reimplementing it.
    """
    from bokeh.models import FixedTicker, LogScale

    for axes, scale, columns in (
        (fig.xaxis, fig.x_scale, ("x",)),
        (fig.yaxis, fig.y_scale, ("y", "lower", "upper")),
    ):
        if not isinstance(scale, LogScale):
            continue
        values = [
            float(v)
            for r in renderers
            for c in columns
            for v in r.data_source.data.get(c, [])
            if isinstance(v, (int, float)) and math.isfinite(v) and v > 0
        ]
        if not values:
            continue
        majors, minors = log_ticks(min(values), max(values))
        if len(majors) < 2:
            continue  # a range too short for log ticks: BokehJS's own do better
        for axis in axes:
            axis.ticker = FixedTicker(ticks=majors, minor_ticks=minors)
