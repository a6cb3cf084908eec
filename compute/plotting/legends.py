"""The legends of a figure, outside its plot area: one entry per series below, the compact key above."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from compute.plotting.axes import fix_log_ticks
from compute.plotting.theme import FONT_FAMILY, FONT_SIZES, HEIGHT, LINE_WIDTH, MARKER_SIZE, ROLES, THEME

if TYPE_CHECKING:
    from bokeh.models.renderers import GlyphRenderer
    from bokeh.plotting import figure as Figure

_LEGEND_ROW = 22  # px per row of a legend below the plot
_KEY_ROW = 26


def _role(renderer: Any) -> str:
    return next((t for t in renderer.tags if t in ROLES), "")


def _series_label(renderer: Any) -> str:
    data = renderer.data_source.data
    series = data.get("series")
    if series is not None and len(series):
        return str(series[0])
    return str(renderer.name or "").split(":", 1)[-1]


def _key_renderer(fig: Figure, kind: str, *, dash: Any = "solid", ink: str = "") -> GlyphRenderer:
    """A renderer that only draws a glyph in the compact key.

    Its one point is NaN (drawn nowhere, ignored by the auto ranges; BokehJS
    draws no legend glyph for an empty source), and its columns are not named
    x and y, so the plotted data never lists it.
    """
    from bokeh.models import ColumnDataSource

    ink = ink or THEME["light"]["muted"]
    nan = float("nan")
    source = ColumnDataSource({"key_x": [nan], "key_y": [nan], "key_low": [nan]})
    renderer: GlyphRenderer[Any]
    if kind in ("theory", "rule"):
        width = LINE_WIDTH if kind == "theory" else 1.5
        renderer = fig.line("key_x", "key_y", source=source, line_color=ink, line_width=width, line_dash=dash)
    elif kind == "measured":
        renderer = fig.scatter(
            "key_x", "key_y", source=source, marker="circle", size=MARKER_SIZE, fill_color=ink, line_color=ink
        )
    else:
        renderer = fig.varea(x="key_x", y1="key_low", y2="key_y", source=source, fill_color=ink, fill_alpha=0.35)
    renderer.tags = ["key"]
    renderer.name = f"key:{kind}"
    return renderer


def _style_legend(legend: Any) -> None:
    ink = THEME["light"]
    legend.label_text_color = ink["text"]
    legend.label_text_font = FONT_FAMILY
    legend.label_text_font_size = FONT_SIZES["legend"]
    legend.title_text_color = ink["muted"]
    legend.title_text_font = FONT_FAMILY
    legend.title_text_font_size = FONT_SIZES["legend_title"]
    legend.title_text_font_style = "normal"
    legend.background_fill_color = None
    legend.border_line_color = None
    legend.inactive_fill_color = None
    legend.padding = 4
    legend.margin = 4
    legend.spacing = 4
    legend.label_standoff = 6
    legend.glyph_width = 24
    legend.glyph_height = 16
    legend.label_height = 16


# Legends do not reflow, so they are laid out for the narrowest screen: about
# 290 px beside the y axis on a 390 px phone. Label widths are estimated
# generously for 13 px type (DejaVu Sans, the widest common fallback).
_PHONE_LEGEND_PX = 290
_GLYPH_PX = 40  # a legend entry's glyph and the gaps around it


def _label_px(text: str) -> int:
    """A generous estimate of a label's width in pixels at the legend's 13 px type."""
    return round(7.5 * len(text))


def finish(
    fig: Figure,
    *,
    spread_label: str = "",
    theory_label: str = "theory",
    measured_label: str = "measured",
    legend_title: str = "",
    columns: int | None = None,
) -> Figure:
    """Add the legends, outside the plot area, and size the figure to hold them.

    Below the plot, one entry per series: the entry shows every renderer of the
    series (theory line, markers, band) and a click hides them all. Above it,
    when the figure mixes roles, the compact key says once what a line, a marker
    and a band mean (``spread_label`` says what the band is, e.g. "±1 standard
    error, 30 draws"; ``theory_label`` and ``measured_label`` may name the line
    and the markers more precisely), and what each labelled rule marks.
    ``columns`` fixes the series legend's columns; by default it takes two
    when every label is short enough for a phone, else one.
    """
    from bokeh.models import HoverTool
    from bokeh.models.annotations import Legend, LegendItem

    renderers: list[Any] = [r for r in fig.renderers if _role(r) in ("theory", "measured", "spread")]
    groups: dict[str, list[Any]] = {}
    for renderer in renderers:
        groups.setdefault(_series_label(renderer), []).append(renderer)
    roles = {_role(r) for r in renderers}

    for legend in list(fig.legend):
        # A builder may have used Bokeh's legend_label; the house legends replace it.
        for panel in (fig.center, fig.above, fig.below, fig.left, fig.right):
            if legend in panel:
                panel.remove(legend)

    added = 0
    key_items: list[Any] = []
    if "theory" in roles and ("measured" in roles or "spread" in roles):
        # The key's line takes the theory lines' dash when they all share one.
        dashes = {tuple(r.glyph.line_dash) for r in renderers if _role(r) == "theory"}
        dash = list(next(iter(dashes))) if len(dashes) == 1 else "solid"
        key_items.append(LegendItem(label=theory_label, renderers=[_key_renderer(fig, "theory", dash=dash)]))
        key_items.append(LegendItem(label=measured_label, renderers=[_key_renderer(fig, "measured")]))
    if "spread" in roles and spread_label:
        key_items.append(LegendItem(label=spread_label, renderers=[_key_renderer(fig, "spread")]))
    rules: list[Any] = list(fig.center)
    for rule in rules:
        if "rule" in getattr(rule, "tags", ()) and str(rule.name).startswith("rule:"):
            line = _key_renderer(fig, "rule", dash="dotted", ink=rule.line_color)
            key_items.append(LegendItem(label=str(rule.name).removeprefix("rule:"), renderers=[line]))
    if key_items:
        widths = [_label_px(str(item.label.value)) + _GLYPH_PX for item in key_items]
        half = math.ceil(len(widths) / 2)
        if sum(widths) <= _PHONE_LEGEND_PX:
            ncols, rows = len(widths), 1
        elif max(widths[:half]) + max(widths[half:], default=0) <= _PHONE_LEGEND_PX:
            ncols, rows = 2, half
        else:
            ncols, rows = 1, len(widths)
        key = Legend(
            items=key_items,
            orientation="horizontal" if rows == 1 else "vertical",
            ncols=ncols,
            click_policy="none",
            name="key",
            location="top_left",
        )
        _style_legend(key)
        key.label_text_color = THEME["light"]["muted"]
        if ncols == 2 and rows > 1:
            key.label_width = max(widths[:half]) - _GLYPH_PX + 8
        fig.add_layout(key, "above")
        added += _KEY_ROW * rows

    if groups:
        labels = list(groups)
        if columns is None:
            widest = max(_label_px(label) for label in labels) + _GLYPH_PX
            columns = 2 if len(labels) > 1 and 2 * widest <= _PHONE_LEGEND_PX else 1
        series = Legend(
            items=[LegendItem(label=label, renderers=groups[label]) for label in labels],
            click_policy="hide",
            ncols=columns,
            name="series",
            location="top_left",
        )
        _style_legend(series)
        if columns > 1:
            # Columns as wide as the longest label and a gap, so that entries do not run together.
            series.label_width = max(_label_px(label) for label in labels) + 8
        if legend_title:
            series.title = legend_title
        fig.add_layout(series, "below")
        rows = math.ceil(len(labels) / columns) + (1 if legend_title else 0)
        added += rows * _LEGEND_ROW + 8

    fix_log_ticks(fig, renderers)
    hover = [t for t in fig.tools if isinstance(t, HoverTool)]
    data_renderers = [r for r in renderers if _role(r) in ("theory", "measured")]
    for tool in hover:
        tool.renderers = data_renderers or "auto"
    fig.height = (fig.height or HEIGHT) + added
    return fig


def stack(*figures: Figure) -> Any:
    """Panels one above the other, as wide as the page, with room between one panel's legend and the next."""
    from bokeh.layouts import column

    return column(*figures, sizing_mode="stretch_width", spacing=24)
