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

from compute.plotting.axes import log_ticks, new_figure
from compute.plotting.labels import field_title, number
from compute.plotting.legends import finish, stack
from compute.plotting.series import add_measured, add_rule, add_theory
from compute.plotting.theme import (
    FONT_FAMILY,
    FONT_SIZES,
    HEIGHT,
    LINE_WIDTH,
    MARKER_SIZE,
    MARKERS,
    PALETTE,
    ROLES,
    SPREAD_ALPHA,
    THEME,
    Mode,
    color,
    marker,
    plots,
    recolour,
)

__all__ = [
    "FONT_FAMILY",
    "FONT_SIZES",
    "HEIGHT",
    "LINE_WIDTH",
    "MARKER_SIZE",
    "MARKERS",
    "PALETTE",
    "ROLES",
    "SPREAD_ALPHA",
    "THEME",
    "Mode",
    "add_measured",
    "add_rule",
    "add_theory",
    "color",
    "field_title",
    "finish",
    "log_ticks",
    "marker",
    "new_figure",
    "number",
    "plots",
    "recolour",
    "stack",
]
