"""compute.figure_svg: Bokeh figures drawn as small SVGs (and PNGs), the way BokehJS lays them out."""

from __future__ import annotations

import io
import logging
import math
import re
from typing import Any

import pytest
from bokeh.models import (
    Band,
    BasicTicker,
    ColumnDataSource,
    DataRange1d,
    LogTicker,
    LogTickFormatter,
    Span,
    Whisker,
)
from bokeh.plotting import figure
from PIL import Image

from compute.figure_svg import for_theme, ink, message, render, render_svg
from compute.figure_svg.layout import _auto
from compute.figure_svg.markers import MARKERS
from compute.figure_svg.ticks import labels, ticks


def _plot(**kwargs: Any) -> Any:
    return figure(width=640, height=400, toolbar_location=None, **kwargs)


def test_linear_ticks_and_labels_are_bokehjs_round_numbers():
    major, minor = ticks(BasicTicker(), 0.0, 1.0)
    assert major == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert len(minor) > len(major)
    assert [t for t, _ in (lab[0] for lab in labels(None, BasicTicker(), major))] == [
        "0",
        "0.2",
        "0.4",
        "0.6",
        "0.8",
        "1",
    ]
    assert labels(None, BasicTicker(), [-2.0, 0.0, 2.0])[0] == [("−2", "")]  # a true minus, as Bokeh writes it


def test_log_ticks_fall_on_decades_and_are_labelled_with_raised_exponents():
    major, _ = ticks(LogTicker(), 1e-3, 20.0)
    assert major == pytest.approx([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    written = labels(LogTickFormatter(), LogTicker(), major)
    assert written[0] == [("10", ""), ("−3", "sup")] and written[3] == [("10", ""), ("0", "sup")]


def test_automatic_ranges_are_padded_as_bokehjs_pads_them():
    assert _auto(DataRange1d(), 0.0, 10.0, log_scale=False) == pytest.approx((-0.5, 10.5))
    start, end = _auto(DataRange1d(), 1.0, 100.0, log_scale=True)
    assert math.log10(start) == pytest.approx(-0.1) and math.log10(end) == pytest.approx(2.1)
    assert _auto(DataRange1d(start=0), 2.0, 10.0, log_scale=False)[0] == 0.0  # a fixed start is kept


def test_neutral_inks_follow_the_mode_and_data_colours_do_not():
    from compute.plotting import THEME

    plot = _plot()
    plot.line([0, 1, 2], [0, 1, 0], line_color="black")
    plot.line([0, 1, 2], [1, 0, 1], line_color="#d62728")
    svg = render_svg(plot)
    assert 'class="stext"' in svg and 'stroke="#d62728"' in svg
    style = re.search(r"<style>(.*?)</style>", for_theme(svg, "dark")).group(1)
    assert f".stext{{stroke:{THEME['dark']['text'].lower()}}}" in style and "@media" not in style
    assert for_theme(svg, "auto") == svg


def test_the_themes_own_inks_map_exactly_and_a_grey_series_colour_keeps_its_colour():
    from compute.plotting import PALETTE, THEME

    plot = _plot()
    plot.line([0, 1], [0, 1], line_color=THEME["light"]["grid"])
    greys = [c for c in PALETTE if max(ink.rgba(c)[:3]) - min(ink.rgba(c)[:3]) <= ink.NEUTRAL_CHROMA]
    assert greys  # the house palette has a grey in place of black
    for colour in greys:
        plot.line([0, 1], [1, 0], line_color=colour)
    svg = render_svg(plot)
    assert 'class="sgrid"' in svg
    assert all(f'stroke="{c.lower()}"' in svg for c in greys)


def test_a_legend_with_a_title_and_two_columns_below_the_plot():
    from bokeh.models import Legend, LegendItem

    plot = _plot()
    lines = [plot.line([0, 1], [i, i + 1], line_color=c) for i, c in enumerate(("#0072b2", "#d55e00", "#009e73"))]
    legend = Legend(
        items=[LegendItem(label=name, renderers=[r]) for name, r in zip(("one", "two", "three"), lines, strict=True)],
        title="learning rate", ncols=2, orientation="horizontal", location="top_left",
    )  # fmt: skip
    plot.add_layout(legend, "below")
    svg = render_svg(plot)
    texts = {
        t: (float(x), float(y))
        for x, y, t in re.findall(r'<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>([a-z ]+)</text>', svg)
    }
    assert "learning rate" in texts
    assert texts["one"][1] == texts["two"][1] < texts["three"][1]  # two columns: the third entry starts a row
    assert texts["three"][0] == texts["one"][0] and texts["learning rate"][1] < texts["one"][1]
    assert texts["one"][1] > 300  # below the plot, not over the data


def test_a_line_breaks_where_its_data_has_a_gap():
    plot = _plot()
    plot.line([0, 1, 2, 3, 4], [1, 2, float("nan"), 2, 1], line_color="#1f77b4", line_width=2)
    path = re.search(r'<path d="([^"]+)" stroke="#1f77b4"', render_svg(plot)).group(1)
    assert path.count("M") == 2


def test_every_scatter_marker_is_drawn_without_a_warning(caplog):
    plot = _plot()
    for i, marker in enumerate(MARKERS):
        plot.scatter([i], [i % 3], marker=marker, size=12, fill_color="#9467bd", line_color="black")
    with caplog.at_level(logging.WARNING):
        svg = render_svg(plot)
    assert not caplog.records
    shapes = set(re.findall(r'<path id="(lmm\d+)"', svg))
    used = set(re.findall(r'href="#(lmm\d+)"', svg))
    assert len(shapes) >= len(MARKERS) - 2 and used == shapes  # circle and square are drawn as dots


def test_bands_whiskers_areas_spans_multilines_and_the_legend_are_drawn(caplog):
    x = [0.5 * i for i in range(12)]
    y = [math.sin(v) + 2 for v in x]
    source = ColumnDataSource({"x": x, "lo": [v - 0.3 for v in y], "hi": [v + 0.3 for v in y]})
    plot = _plot(title="Everything", x_axis_label="time", y_axis_label="value")
    plot.line(x, y, line_color="#1f77b4", legend_label="mean")
    plot.add_layout(Band(base="x", lower="lo", upper="hi", source=source, fill_color="#aec7e8", fill_alpha=0.4))
    plot.add_layout(Whisker(base="x", lower="lo", upper="hi", source=source, line_color="#ff7f0e"))
    plot.varea(x=x, y1=[0.2] * 12, y2=[0.6] * 12, fill_color="#2ca02c", legend_label="area")
    plot.multi_line(xs=[[0, 1], [1, 2]], ys=[[1, 2], [2, 1]], line_color=["#8c564b", "#e377c2"], legend_label="pair")
    plot.add_layout(Span(location=2.5, dimension="height", line_color="#7f7f7f", line_dash="dotted"))
    with caplog.at_level(logging.WARNING):
        svg = render_svg(plot)
    assert not caplog.records
    assert 'fill="#aec7e8" fill-opacity=".4"' in svg  # the band
    assert svg.count('stroke="#ff7f0e"') == 1 and "M" in svg  # the whisker's stems and tees, in one path
    assert 'fill="#2ca02c"' in svg and 'stroke="#8c564b"' in svg and 'stroke="#e377c2"' in svg
    assert 'stroke-dasharray="2 4"' in svg  # the dotted span
    for text in ("Everything", "time", "value", "mean", "area", "pair"):
        assert f">{text}</text>" in svg


def test_an_unknown_glyph_is_skipped_with_a_warning_and_the_rest_is_drawn(caplog):
    plot = _plot()
    plot.wedge(x=[1], y=[1], radius=0.5, start_angle=0, end_angle=1)
    plot.line([0, 1], [0, 1], line_color="#1f77b4")
    with caplog.at_level(logging.WARNING):
        svg = render_svg(plot)
    assert "glyph Wedge is not drawn" in caplog.text
    assert 'stroke="#1f77b4"' in svg


def test_the_png_is_twice_the_size_on_the_light_page():
    plot = _plot(title="t")
    plot.line([0, 1], [0, 1])
    image = render(plot)
    png = Image.open(io.BytesIO(image.png)).convert("RGB")
    assert png.size == (1280, 800) and png.getpixel((2, 2)) == (255, 255, 255)


def test_unicode_scripts_are_raised_and_lowered_runs_of_ordinary_characters():
    from compute.figure_svg.text import runs

    assert runs("Optimal log₂ η*") == [("Optimal log", ""), ("2", "sub"), (" η*", "")]
    assert runs("∝ N⁻¹") == [("∝ N", ""), ("−1", "sup")]
    assert runs("plain") == [("plain", "")]


def test_the_png_draws_every_character_in_a_font_that_has_it():
    from compute.figure_svg import png

    font = png._font(40, False, False)
    stretches = png._covered("loss ∝ N, η₀ ≲ 2/λ", font)
    assert "".join(text for text, _ in stretches) == "loss ∝ N, η₀ ≲ 2/λ"
    if png._fallback_font(40) is None:
        pytest.skip("DejaVu Sans, the PNG's fallback font, is not installed")
    for text, used in stretches:
        for char in text:
            assert png._has_glyph(used, char), (char, used.path)


def test_a_message_image_has_the_figures_size():
    svg = message("Computing this figure…")
    assert 'viewBox="0 0 640 400"' in svg and "Computing this figure…" in svg


# --- every experiment's own figure, from real smoke results ---------------------------


@pytest.fixture(scope="session")
def smoke_figures() -> dict[str, Any]:
    """Each registered experiment's figure, built by its own builder from its smoke preset, computed once."""
    from compute import registry
    from compute.runner import canonical_config, execute

    out = {}
    for name in sorted(registry.all_experiments()):
        spec = registry.get(name)
        config = spec.validate({}, preset="smoke")
        out[name] = spec.figure(execute(spec, config).result, canonical_config(config))
    return out


def _glyph_renderers(model: Any) -> list[Any]:
    from compute.figure_svg.layout import place

    placed, _, _ = place(model)
    return [r for p in placed for r in p.plot.renderers if type(r).__name__ == "GlyphRenderer" and r.visible]


@pytest.mark.science
def test_every_experiments_figure_is_drawn_with_every_glyph_it_uses(smoke_figures, caplog):
    from compute.figure_svg.glyphs import KNOWN

    for name, fig in smoke_figures.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            image = render(fig, with_png=False)
        assert not caplog.records, f"{name}: {caplog.text}"
        renderers = _glyph_renderers(fig)
        assert {type(r.glyph).__name__ for r in renderers} <= set(KNOWN), name
        for renderer in renderers:  # every series shows, in its own colour (a neutral one as its house ink)
            props = renderer.glyph.properties_with_values()
            colour = getattr(props.get("line_color") or props.get("fill_color"), "value", None)
            parsed = ink.rgba(colour)
            if parsed is None:
                continue
            token = ink.token_for(parsed)
            shown = f"s{token}" if token and "line_color" in props else f"f{token}" if token else colour.lower()
            assert shown in image.svg, f"{name}: {colour} is not drawn"
        assert image.width >= 300 and image.height >= 200, name
        assert len(image.svg.encode()) < 40_000, f"{name}: {len(image.svg)} bytes"
        assert "axis" in image.description, name
