"""The house theme as data: ink tokens per colour mode, series colours and markers, type and sizes.

The figure builders, the static images of figures and the site's CSS read the
same values; docs/figure-style.md explains them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

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


def color(i: int) -> str:
    """The colour of series ``i``."""
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    """The marker of series ``i`` (paired with its colour)."""
    return MARKERS[i % len(MARKERS)]


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
