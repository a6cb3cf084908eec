"""Every reference experiment's figure, drawn from a real smoke result, follows the house style.

The rules are those of docs/figure-style.md: no logo and no active gesture
tool, transparent backgrounds, human labels (no code names, no spelled-out
Greek), legends outside the data area, colours paired with markers, a spread
drawn wherever the result reports one, and data sources that hold exactly the
plotted data with their roles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bokeh.embed import json_item

from compute import registry
from compute.plotting import MARKERS, PALETTE, ROLES, THEME, plots, recolour
from compute.report import documented_experiments

pytestmark = pytest.mark.science

NAMES = sorted(documented_experiments())
# Spelled-out Greek letters and ASCII exponents are what the figures used to show instead of symbols.
PSEUDO_MATH = re.compile(r"\b(alpha|beta|eta|kappa|lambda|theta|sigma|mu|lr)\b|\^|\bsqrt\b", re.IGNORECASE)
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


@pytest.fixture(scope="session")
def smoke_results() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each experiment's smoke result and config, computed once for the session with compute.runner.execute."""
    import torch

    from compute.runner import execute

    out = {}
    for name in NAMES:
        exp = registry.get(name)
        config = exp.validate(preset="smoke")
        outcome = execute(exp, config, device=torch.device("cpu"))
        out[name] = (outcome.result, config.model_dump(mode="json"))
    return out


def _figure(smoke_results: dict[str, Any], name: str) -> Any:
    result, config = smoke_results[name]
    return registry.get(name).figure(result, config)


def _texts(fig: Any) -> Iterator[str]:
    """Every piece of text a reader sees: titles, axis labels, legend entries and titles, hover labels."""
    from bokeh.models import HoverTool

    for plot in plots(fig):
        if plot.title is not None and plot.title.text:
            yield plot.title.text
        for axis in (*plot.xaxis, *plot.yaxis):
            yield str(axis.axis_label or "")
        for legend in plot.legend:
            if legend.title:
                yield legend.title
            for item in legend.items:
                yield str(item.label.value)
        for tool in plot.tools:
            if isinstance(tool, HoverTool):
                yield from (label for label, _ in tool.tooltips)


def _sems(node: Any, path: str = "") -> Iterator[tuple[str, list[float]]]:
    """Every standard error a result reports: lists under keys ending in _sem (also inside dicts of lists)."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key.endswith("_sem") and isinstance(value, list):
                yield where, value
            elif key.endswith("_sem") and isinstance(value, dict):
                yield from ((f"{where}.{k}", v) for k, v in value.items() if isinstance(v, list))
            else:
                yield from _sems(value, where)


@pytest.mark.parametrize("name", NAMES)
def test_the_figure_has_no_logo_no_active_gesture_and_a_transparent_background(smoke_results, name):
    for plot in plots(_figure(smoke_results, name)):
        toolbar = plot.toolbar
        assert toolbar.logo is None and toolbar.autohide
        assert (toolbar.active_drag, toolbar.active_scroll, toolbar.active_tap, toolbar.active_multi) == (None,) * 4
        assert plot.background_fill_color is None and plot.border_fill_color is None
        assert all(legend.background_fill_color is None for legend in plot.legend)


@pytest.mark.parametrize("name", NAMES)
def test_every_label_is_human_text_with_symbols_not_code_names(smoke_results, name):
    fields = {f for f in registry.get(name).config.model_fields if "_" in f}
    texts = [t for t in _texts(_figure(smoke_results, name)) if t]
    assert texts
    for text in texts:
        assert not SNAKE.search(text), f"{name}: {text!r} reads like code"
        assert not any(f in text for f in fields), f"{name}: {text!r} names a config field"
        assert not PSEUDO_MATH.search(text), f"{name}: {text!r} spells out math"
    for plot in plots(_figure(smoke_results, name)):
        # Panel titles are short (they never wrap); a single plot leaves the caption to the page.
        assert plot.title is None or len(plot.title.text) <= 40, plot.title.text


@pytest.mark.parametrize("name", NAMES)
def test_legends_sit_outside_the_data_area(smoke_results, name):
    for plot in plots(_figure(smoke_results, name)):
        assert plot.legend, f"{name}: a plot without a legend"
        outside = [m for side in (plot.above, plot.below, plot.left, plot.right) for m in side]
        assert all(legend in outside for legend in plot.legend)
        assert not [m for m in plot.center if m.__class__.__name__ == "Legend"]


@pytest.mark.parametrize("name", NAMES)
def test_each_series_pairs_a_palette_colour_with_its_marker(smoke_results, name):
    for plot in plots(_figure(smoke_results, name)):
        for renderer in plot.renderers:
            role = next(t for t in renderer.tags if t in ROLES)
            glyph = renderer.glyph
            if role == "key":
                continue
            colour = glyph.fill_color if hasattr(glyph, "fill_color") else glyph.line_color
            assert colour in PALETTE, f"{name}: {renderer.name} in {colour}"
            if glyph.__class__.__name__ == "Scatter":
                assert glyph.marker == MARKERS[PALETTE.index(colour)], f"{name}: {renderer.name}"


@pytest.mark.parametrize("name", NAMES)
def test_every_reported_spread_is_drawn_around_its_mean(smoke_results, name):
    result, _ = smoke_results[name]
    reported = list(_sems(result))
    fig = _figure(smoke_results, name)
    drawn = [
        [(u - lo) / 2 for lo, u in zip(r.data_source.data["lower"], r.data_source.data["upper"], strict=True)]
        for plot in plots(fig)
        for r in plot.renderers
        if "spread" in r.tags
    ]
    if not reported:
        assert not drawn, f"{name} draws a spread its result does not report"
        return
    # Results may report spreads of quantities they do not plot (lazy_rich's final loss); the
    # plotted means must not lack theirs: every spread drawn is one the result reports.
    assert drawn, f"{name} reports {[where for where, _ in reported]} but draws no spread"
    for half in drawn:
        assert any(
            len(values) == len(half)
            and all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12) for a, b in zip(values, half, strict=True))
            for _, values in reported
        ), f"{name}: a drawn spread matches no reported one"


@pytest.mark.parametrize("name", NAMES)
def test_the_figure_exposes_exactly_its_plotted_data_with_roles(smoke_results, name):
    from apps.experiments.embeds import series_from_figure

    fig = _figure(smoke_results, name)
    series = series_from_figure(fig)
    assert series and {s["role"] for s in series} <= {"theory", "measured"}
    assert all(s["name"] and len(s["x"]) == len(s["y"]) > 0 for s in series)
    for plot in plots(fig):
        for renderer in plot.renderers:
            roles = [t for t in renderer.tags if t in ROLES]
            assert len(roles) == 1, f"{name}: {renderer.name} has roles {roles}"
            data = renderer.data_source.data
            assert ("x" in data and "y" in data) == (roles[0] != "key"), f"{name}: {renderer.name}"
    # Every plotted source appears once, and a spread never stands for its series.
    sources = {r.data_source.id for plot in plots(fig) for r in plot.renderers if "key" not in r.tags}
    assert len(series) == len(sources)


@pytest.mark.parametrize("name", NAMES)
def test_dark_mode_leaves_no_light_ink_in_the_figure(smoke_results, name):
    fig = _figure(smoke_results, name)
    recolour(fig, "dark")
    text = str(json_item(fig))
    for token, value in THEME["light"].items():
        assert value not in text, f"{name}: light {token} left in dark mode"
