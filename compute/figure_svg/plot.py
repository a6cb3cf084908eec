"""A Bokeh layout read into a scene: plots placed as the layout places them, each with its frame,
automatic ranges, grids, axes, title, glyphs, annotations and legend, in Bokeh's drawing order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from compute.figure_svg import annotate, glyphs, ink, ticks
from compute.figure_svg import visuals as v
from compute.figure_svg.axes import Axis, axis_depth, crisp, draw_axis, draw_grid, tick_info
from compute.figure_svg.layout import Placed, is_log, place, ranges, renderer_data
from compute.figure_svg.scales import Scale
from compute.figure_svg.scene import Group, Item, Path, Scene, Text
from compute.figure_svg.text import HEIGHT, px, runs

log = logging.getLogger(__name__)

LEVELS = ("image", "underlay", "glyph", "guide", "annotation", "overlay")
# Space a toolbar takes beside the plot; left empty in the image so the plot sits where it will when interactive.
TOOLBAR = 30.0


def _title_of(plot: Any) -> Any:
    title: Any = getattr(plot, "title", None)
    return title if title is not None and title.text else None


def _legend_anchor(
    model: Any, frame: tuple[float, float, float, float], size: tuple[float, float]
) -> tuple[float, float]:
    left, top, w, h = frame
    lw, lh = size
    margin = float(getattr(model, "margin", 10) or 0)
    location = model.location
    if isinstance(location, (tuple, list)):  # screen pixels from the frame's bottom left
        return left + float(location[0]), top + h - float(location[1]) - lh
    names = {
        "top": "top_center",
        "bottom": "bottom_center",
        "left": "center_left",
        "right": "center_right",
        "center": "center_center",
    }
    vertical, horizontal = names.get(location, location).split("_")
    x = {"left": left + margin, "center": left + (w - lw) / 2, "right": left + w - lw - margin}.get(
        horizontal, left + margin
    )
    y = {"top": top + margin, "center": top + (h - lh) / 2, "bottom": top + h - lh - margin}.get(vertical, top + margin)
    return x, y


def _range_of(plot: Any, dim: str, name: str = "default") -> Any:
    default = getattr(plot, f"{dim}_range")
    return default if name == "default" else getattr(plot, f"extra_{dim}_ranges").get(name, default)


@dataclass
class Panel:
    """One thing beside the frame (an axis, the title, the toolbar, a legend), ``depth`` pixels deep."""

    kind: str
    model: Any
    depth: float
    offset: float = 0.0  # from the frame edge to the panel's inner edge
    slack: float = 0.0  # room left over when a taller toolbar shares the title's row


def _panels(
    plot: Any, axes: dict[int, Axis], infos: dict[int, Any], legends: dict[int, tuple[float, float]]
) -> dict[str, list[Panel]]:
    """What sits on each side of the frame, from the frame outwards, as BokehJS stacks it."""
    out: dict[str, list[Panel]] = {}
    for side in ("above", "below", "left", "right"):
        stack: list[Panel] = []
        for model in getattr(plot, side):
            if model is None or not model.visible:
                continue
            if id(model) in axes:
                _, minor, labels = infos[id(model)]
                stack.append(Panel("axis", model, axis_depth(axes[id(model)], labels, bool(minor))))
            elif id(model) in legends:
                lw, lh = legends[id(model)]
                margin = 2 * float(getattr(model, "margin", 10) or 0)
                stack.append(Panel("legend", model, (lh if side in ("above", "below") else lw) + margin))
        title = _title_of(plot)
        if title is not None and plot.title_location == side:
            p = v.Props(title)
            stack.append(
                Panel("title", title, px(p.raw("text_font_size", "13px")) * HEIGHT + float(p.raw("standoff", 10)))
            )
        toolbar = getattr(plot, "toolbar", None)
        if plot.toolbar_location == side and toolbar is not None and not plot.toolbar_inner:
            beside_title = (
                bool(plot.toolbar_sticky) and side in ("above", "below") and bool(stack) and stack[-1].kind == "title"
            )
            if beside_title:
                stack[-1].slack = max(0.0, TOOLBAR - stack[-1].depth)
                stack[-1].depth += stack[-1].slack
            else:
                stack.append(Panel("toolbar", toolbar, TOOLBAR))
        offset = 0.0
        for panel in stack:
            panel.offset = offset
            offset += panel.depth
        out[side] = stack
    return out


_MIN_BORDER = {
    "above": "min_border_top",
    "below": "min_border_bottom",
    "left": "min_border_left",
    "right": "min_border_right",
}


def draw_plot(item: Placed, extents: dict[str, tuple[float, float]]) -> tuple[list[Item], dict[str, Any]]:
    """The items of one plot and a summary for the description (title, axis labels and scales, series)."""
    plot = item.plot
    axes: dict[int, Axis] = {}
    infos: dict[int, Any] = {}
    for side in ("above", "below", "left", "right"):
        for model in getattr(plot, side):
            if model is not None and model.visible and "Axis" in type(model).__name__:
                axis = Axis(model, side)
                dim = "x" if side in ("above", "below") else "y"
                start, end = extents[_range_of(plot, dim, getattr(model, f"{dim}_range_name", "default")).id]
                axes[id(model)] = axis
                infos[id(model)] = tick_info(axis, start, end)

    # Glyphs are read before the frame is known only for their legend samples; they are drawn below.
    legends_outside = {
        id(m): m
        for side in ("above", "below", "left", "right")
        for m in getattr(plot, side)
        if type(m).__name__ == "Legend"
    }
    samples_for_size: dict[str, glyphs.Drawn] = {}
    legend_sizes = {
        key: annotate.legend_size(m, annotate.legend_entries(m, samples_for_size)) for key, m in legends_outside.items()
    }
    panels = _panels(plot, axes, infos, legend_sizes)
    min_border = float(getattr(plot, "min_border", 5) or 0)
    border = {
        side: max(sum(p.depth for p in stack), float(getattr(plot, _MIN_BORDER[side], None) or min_border))
        for side, stack in panels.items()
    }
    # BokehJS lays out in whole pixels.
    left = float(round(item.left + border["left"]))
    top = float(round(item.top + border["above"]))
    w = float(max(10, round(item.width - border["left"] - border["right"])))
    h = float(max(10, round(item.height - border["above"] - border["below"])))
    frame = (left, top, w, h)

    def scale_for(dim: str, name: str = "default") -> Scale:
        rng = _range_of(plot, dim, name)
        start, end = extents[rng.id]
        log_scale = is_log(plot, dim, rng)
        if dim == "x":
            return Scale(start, end, log_scale, left, left + w)
        return Scale(start, end, log_scale, top + h, top)

    layers: dict[str, list[Item]] = {level: [] for level in LEVELS}
    frame_items: list[Item] = []
    rect = [(left, top), (left + w, top), (left + w, top + h), (left, top + h)]
    background = v.fill(v.Props(plot), "background_fill")
    if background is not None and not ink.is_paper(background):
        frame_items.append(Path(parts=[rect], fill=background, closed=True))
    samples: dict[str, glyphs.Drawn] = {}
    series: list[str] = []
    for renderer in plot.renderers:
        kind = type(renderer).__name__
        if kind != "GlyphRenderer":
            log.warning("figure image: %s is not drawn", kind)
            continue
        data, n = renderer_data(renderer)
        sx, sy = scale_for("x", renderer.x_range_name), scale_for("y", renderer.y_range_name)
        drawn = glyphs.draw(renderer.glyph, data, n, sx, sy)
        if drawn is None:
            log.warning("figure image: glyph %s is not drawn", type(renderer.glyph).__name__)
            continue
        samples[renderer.id] = drawn
        if renderer.visible:
            layers.get(renderer.level, layers["glyph"]).append(Group(drawn.items, clip=frame))
            names = data.get("series")
            if names is not None and n and str(list(names)[0]) not in series:
                series.append(str(list(names)[0]))
    for model in plot.center:
        if model is None or not model.visible:
            continue
        kind = type(model).__name__
        level = getattr(model, "level", "annotation")
        if kind == "Grid":
            dim = "x" if model.dimension == 0 else "y"
            scale = scale_for(dim)
            owner = next((a for a in axes.values() if (a.side in ("above", "below")) == (dim == "x")), None)
            ticker = model.ticker or (owner.model.ticker if owner else None)
            if owner is not None and ticker is owner.model.ticker:
                info = infos[id(owner.model)]
            else:
                info = (*ticks.ticks(ticker, scale.start, scale.end), [])
            layers.get(level, layers["underlay"]).append(Group(draw_grid(model, frame, scale, info)))
        elif kind == "Legend":
            entries = annotate.legend_entries(model, samples)
            x, y = _legend_anchor(model, frame, annotate.legend_size(model, entries))
            layers.get(level, layers["annotation"]).append(Group(annotate.legend_items(model, entries, x, y)))
        else:
            drawn_items = annotate.draw(
                model,
                scale_for("x", getattr(model, "x_range_name", "default")),
                scale_for("y", getattr(model, "y_range_name", "default")),
            )
            if drawn_items is None:
                log.warning("figure image: annotation %s is not drawn", kind)
                continue
            layers.get(level, layers["annotation"]).append(Group(drawn_items, clip=frame))
    guide: list[Item] = []
    beside: list[Item] = []
    for side, stack in panels.items():
        for panel in stack:
            if panel.kind == "axis":
                dim = "x" if side in ("above", "below") else "y"
                name = getattr(panel.model, f"{dim}_range_name", "default")
                guide += draw_axis(
                    axes[id(panel.model)], frame, scale_for(dim, name), infos[id(panel.model)], panel.offset
                )
            elif panel.kind == "title":
                beside += _draw_title(plot, panel, frame)
            elif panel.kind == "legend":
                entries = annotate.legend_entries(panel.model, samples)
                lw, lh = annotate.legend_size(panel.model, entries)
                margin = float(getattr(panel.model, "margin", 10) or 0)
                # Inside its panel the legend sits by its location, as it would inside the frame.
                x, y = _legend_anchor(panel.model, frame, (lw, lh))
                if side in ("left", "right"):
                    x = left + w + panel.offset + margin if side == "right" else left - panel.offset - margin - lw
                else:
                    y = top + h + panel.offset + margin if side == "below" else top - panel.offset - margin - lh
                beside += annotate.legend_items(panel.model, entries, x, y)
    outline = v.stroke(v.Props(plot), "outline_line")
    if outline is not None:
        x0, y0, x1, y1 = (
            crisp(left, outline),
            crisp(top, outline),
            crisp(left + w - 1, outline),
            crisp(top + h - 1, outline),
        )
        frame_items.append(Path(parts=[[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]], stroke=outline, closed=True))
    items: list[Item] = frame_items
    for level in LEVELS:
        items += layers[level]
        if level == "guide":
            items += guide
    items += beside
    title = _title_of(plot)
    summary = {
        "title": "".join(t for t, _ in runs(title.text)) if title is not None else "",
        "axes": [
            (
                a.side,
                "".join(t for t, _ in runs(a.props.raw("axis_label") or "")),
                scale_for("x" if a.side in ("above", "below") else "y"),
            )
            for a in axes.values()
        ],
        "series": series,
    }
    return items, summary


def _draw_title(plot: Any, panel: Panel, frame: tuple[float, float, float, float]) -> list[Item]:
    title = panel.model
    p = v.Props(title)
    left, top, w, h = frame
    paint = v.text_paint(p)
    side = plot.title_location
    if paint is None or side not in ("above", "below"):
        return []
    size = px(p.raw("text_font_size", "13px"))
    standoff = float(p.raw("standoff", 10))
    offset = float(p.raw("offset", 0))
    align = p.raw("align", "left")
    x = {"left": left + offset, "center": left + w / 2, "right": left + w - offset}.get(align, left + offset)
    # BokehJS sets the title on the bottom of its box (vertical_align "bottom"), half its standoff above it;
    # the box is centred in a row it shares with a taller toolbar.
    if side == "above":
        y = top - panel.offset - panel.slack / 2 - standoff / 2
    else:
        y = top + h + panel.offset + panel.depth - panel.slack / 2 - standoff / 2
    baseline: Any = "bottom"
    style = str(p.raw("text_font_style", "bold"))
    anchor: Any = {"left": "start", "center": "middle", "right": "end"}.get(align, "start")
    return [Text(x, y, runs(title.text), size, paint, anchor, baseline, bold="bold" in style, italic="italic" in style)]


def scene(model: Any) -> Scene:
    """The scene of a Bokeh figure or layout of figures."""
    placed, total_w, total_h = place(model)
    extents = ranges(placed)
    out = Scene(width=round(total_w), height=round(total_h))
    summaries = []
    for item in placed:
        items, summary = draw_plot(item, extents)
        out.items += items
        summaries.append(summary)
    out.title = "; ".join(s["title"] for s in summaries if s["title"])
    out.description = describe(summaries)
    return out


def _scale_words(scale: Scale) -> str:
    lo, hi = sorted((scale.start, scale.end))
    return f"{'logarithmic' if scale.log else 'linear'}, {lo:.3g} to {hi:.3g}"


def describe(summaries: list[dict[str, Any]]) -> str:
    """The figure in words: each plot's title, axes and series (the image's long description)."""
    parts = []
    for s in summaries:
        words = [s["title"]] if s["title"] else []
        for side, label, scale in s["axes"]:
            which = "Horizontal" if side in ("above", "below") else "Vertical"
            words.append(f"{which} axis: {label or 'unlabelled'} ({_scale_words(scale)})")
        if s["series"]:
            words.append("Series: " + ", ".join(s["series"]))
        parts.append(". ".join(words))
    return ". ".join(p for p in parts if p) + ("." if parts else "")
