"""Shared Bokeh building blocks for experiment figures: axes, theory lines, measured markers, colours.

Theory is drawn as lines and measurement as markers. Renderers carry a tag
("theory" or "measured") so that the site's own JavaScript can toggle the
theory overlay without Bokeh CustomJS, which a strict CSP forbids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bokeh.models import ColumnDataSource, HoverTool
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

PALETTE = list(Category10_10)

# The house theme as data. Figure builders (Bokeh, here), the static figure
# images the worker renders and the site's stylesheet read the same tokens, so
# a figure looks the same as an image, as an interactive plot and beside the
# text, in light and in dark mode. Plot backgrounds are transparent: the page
# shows through, and only ink colours change between modes.
THEME: dict[str, dict[str, str]] = {
    "light": {"text": "#1d1d1f", "muted": "#5b5b60", "axis": "#86868b", "grid": "#e8e8ed"},
    "dark": {"text": "#e8e8ed", "muted": "#a1a1a6", "axis": "#8e8e93", "grid": "#2f3036"},
}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def new_figure(
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_log: bool = False,
    y_log: bool = False,
    width: int = 640,
    height: int = 400,
) -> Any:
    fig = figure(
        title=title,
        x_axis_label=x_label,
        y_axis_label=y_label,
        x_axis_type="log" if x_log else "linear",
        y_axis_type="log" if y_log else "linear",
        width=width,
        height=height,
        sizing_mode="stretch_width",
        tools="pan,wheel_zoom,box_zoom,reset,save",
        toolbar_location="above",
    )
    fig.add_tools(HoverTool(tooltips=[("series", "@series"), ("x", "@x{0.[0000]}"), ("y", "@y{0.[0000]}")]))
    return fig


def _source(x: Sequence[Any], y: Sequence[Any], label: str) -> ColumnDataSource:
    x_list, y_list = list(x), list(y)
    return ColumnDataSource({"x": x_list, "y": y_list, "series": [label] * len(x_list)})


def add_theory(fig: Any, x: Sequence[Any], y: Sequence[Any], *, label: str, index: int = 0, dash: str = "solid") -> Any:
    renderer = fig.line(
        "x", "y", source=_source(x, y, label), color=color(index), line_width=2, line_dash=dash, legend_label=label
    )
    renderer.tags = ["theory"]
    renderer.name = f"theory:{label}"
    return renderer


def add_measured(
    fig: Any, x: Sequence[Any], y: Sequence[Any], *, label: str, index: int = 0, line: bool = False
) -> Any:
    source = _source(x, y, label)
    renderer = fig.scatter("x", "y", source=source, color=color(index), size=5, alpha=0.8, legend_label=label)
    renderer.tags = ["measured"]
    renderer.name = f"measured:{label}"
    if line:
        extra = fig.line("x", "y", source=source, color=color(index), alpha=0.4, legend_label=label)
        extra.tags = ["measured"]
    return renderer


def finish(fig: Any) -> Any:
    fig.legend.click_policy = "hide"
    fig.legend.location = "top_right"
    return fig
