"""The house style of every experiment figure: theme tokens, colours, markers and the builders' helpers.

A figure builder draws with four calls: :func:`new_figure` (themed axes and
tools), :func:`add_theory` (a line), :func:`add_measured` (markers, with an
optional uncertainty band or error bars) and :func:`finish` (the legends).
Renderers carry a role tag, ``"theory"``, ``"measured"``, ``"spread"`` or
``"key"``, so that the site's own JavaScript can toggle the theory overlay
without Bokeh CustomJS (which a strict CSP forbids) and the data downloads can
tell theory from measurement. docs/figure-style.md is the guide for authors and
builders, with the list of Bokeh models the house figures use.

The style lives in the figure itself (not in a Bokeh ``Theme`` applied at
embed time), so a figure's JSON item is complete: the page, the static image
and the tests all see the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bokeh.models.annotations import Span
    from bokeh.models.renderers import GlyphRenderer
    from bokeh.plotting import figure as Figure
    from pydantic import BaseModel

Mode = Literal["light", "dark"]

# The ink colours as data, per colour mode (mode -> token -> colour). The
# figure builders (here), the static images of figures and the site's CSS read
# the same tokens, so a figure looks the same as an image, as an interactive
# plot and beside the text, in light and in dark mode. Backgrounds are
# transparent (the page shows through), so only inks change between modes.
#
# Contract with whoever recolours a figure: a figure is built in light mode,
# and every colour in it that depends on the mode is exactly one of the light
# values below. Switching to dark replaces each light value by the dark value
# of the same token, wherever it occurs (axes, grid, legends, titles, key
# glyphs, reference rules). The eight values are pairwise distinct and none is
# in PALETTE, so that replacement is unambiguous in both directions.
THEME: dict[str, dict[str, str]] = {
    "light": {
        "text": "#1d1d1f",  # titles, axis labels, legend labels
        "muted": "#5e5e64",  # tick labels, legend titles, the compact key's glyphs, reference rules
        "axis": "#8e8e94",  # axis lines and ticks
        "grid": "#e4e4e9",  # grid lines
    },
    "dark": {
        "text": "#ececf0",
        "muted": "#a8a8ae",
        "axis": "#7c7c83",
        "grid": "#323238",
    },
}

# Series colours, the same in both modes: Okabe and Ito's colour-blind-safe set
# ("Color universal design", 2008), with orange and sky blue darkened to reach
# 3:1 contrast on white, black replaced by a grey that reads on dark too, and
# yellow left out (1.3:1 on white). The first four reach 3:1 on white and on a
# near-black page; builders use them first.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#C28600",  # orange, darkened
    "#3D9AD1",  # sky blue, darkened
    "#8A8A8A",  # grey, for black
)

# Marker shapes (Bokeh Scatter markers), paired with PALETTE by index: series i
# is drawn in PALETTE[i] with MARKERS[i], so series differ by more than colour.
MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "inverted_triangle", "hex", "star")

# Type: legible at 390 px and on a projector. The family is a system stack, so
# canvas text needs no web font to load before a figure can be drawn.
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Helvetica, Arial, sans-serif"
FONT_SIZES: dict[str, str] = {
    "title": "15px",
    "axis_label": "14px",
    "tick": "13px",
    "legend": "13px",
    "legend_title": "13px",
}

# Sizes in CSS pixels.
HEIGHT = 340  # the plot itself; finish() adds room for the legends outside it
LINE_WIDTH = 2.25  # theory lines
MARKER_SIZE = 8
SPREAD_ALPHA = 0.2  # fill of uncertainty bands, in the series' colour
ROLES = ("theory", "measured", "spread", "key")

_LEGEND_ROW = 22  # px per row of a legend below the plot
_KEY_ROW = 26
_TOOLS = "pan,box_zoom,wheel_zoom,reset,save"


def color(i: int) -> str:
    """The colour of series ``i``."""
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    """The marker of series ``i`` (paired with its colour)."""
    return MARKERS[i % len(MARKERS)]


def field_title(config: type[BaseModel], name: str) -> str:
    """The human label of a configuration field: its pydantic title (with symbols and units)."""
    info = config.model_fields[name]
    if not info.title:
        raise ValueError(f"{config.__module__}.{config.__name__}.{name} has no title to label a figure with")
    return info.title


def number(value: float) -> str:
    """A number as a label shows it: ``0.001``, ``1e-08``, ``256``, with a true minus sign."""
    text = f"{value:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = int(exponent)
        if mantissa == "1":
            return "10" + _superscript(power)
        return f"{mantissa}×10{_superscript(power)}"
    return text.replace("-", "−")


_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _superscript(power: int) -> str:
    return str(power).translate(_SUPERSCRIPTS)


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


def _log_ticks(fig: Figure, renderers: Sequence[Any]) -> None:
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

    _log_ticks(fig, renderers)
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


def plots(obj: Any) -> Iterable[Any]:
    """The plots in a figure or a layout of figures (row, column, gridplot), in reading order."""
    if hasattr(obj, "renderers"):
        yield obj
    for child in getattr(obj, "children", None) or []:
        yield from plots(child[0] if isinstance(child, tuple) else child)


def recolour(obj: Any, mode: Mode) -> None:
    """Switch a figure (or layout) built in one mode to the other, replacing each ink by the same token's.

    The same rule the site's JavaScript and the static images follow: every
    colour property whose value is an ink of the other mode takes this mode's
    ink of the same token.
    """
    other: Mode = "dark" if mode == "light" else "light"
    swap = {THEME[other][token].lower(): THEME[mode][token] for token in THEME[mode]}
    for model in obj.references():
        for name in model.properties():
            if not name.endswith("_color"):
                continue
            value = getattr(model, name)
            if isinstance(value, str) and value.lower() in swap:
                setattr(model, name, swap[value.lower()])
