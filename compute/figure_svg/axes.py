"""Axes and grids: ticks, tick labels and axis labels on each side of a plot's frame."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from compute.figure_svg import ticks
from compute.figure_svg import visuals as v
from compute.figure_svg.scales import Scale
from compute.figure_svg.scene import Item, Path, Point, Text
from compute.figure_svg.text import HEIGHT, px, runs, width

# BokehJS pads tick labels and axis labels by three pixels beyond their standoff.
LABEL_PADDING = 3.0


@dataclass
class Axis:
    model: Any
    side: str
    props: v.Props = field(init=False)

    def __post_init__(self) -> None:
        self.props = v.Props(self.model)


def axis_depth(axis: Axis, labels: list[list[tuple[str, Any]]], has_minor: bool) -> float:
    p = axis.props
    depth = max(float(p.raw("major_tick_out", 6)), float(p.raw("minor_tick_out", 4)) if has_minor else 0.0)
    size = px(p.raw("major_label_text_font_size", "11px"))
    if labels and p.raw("major_label_text_color") is not None:
        extent = max(width(lab, size) for lab in labels) if axis.side in ("left", "right") else size * HEIGHT
        depth += float(p.raw("major_label_standoff", 5)) + extent + LABEL_PADDING
    if p.raw("axis_label"):
        label_size = px(p.raw("axis_label_text_font_size", "13px"))
        depth += float(p.raw("axis_label_standoff", 5)) + label_size * HEIGHT + LABEL_PADDING
    return depth


def crisp(at: float, stroke: Any) -> float:
    """Where a horizontal or vertical line of this stroke is sharp: on a half pixel for odd widths, as BokehJS does."""
    width = getattr(stroke, "width", 1.0)
    if width and float(width).is_integer() and int(width) % 2 == 1:
        return math.floor(at) + 0.5
    return float(round(at))


def tick_info(axis: Axis, start: float, end: float) -> tuple[list[float], list[float], list[list[tuple[str, Any]]]]:
    major, minor = ticks.ticks(axis.model.ticker, start, end)
    overrides = axis.props.raw("major_label_overrides") or {}
    return major, minor, ticks.labels(axis.model.formatter, axis.model.ticker, major, overrides)


def draw_axis(
    axis: Axis,
    frame: tuple[float, float, float, float],
    scale: Scale,
    info: tuple[list[float], list[float], list[Any]],
    offset: float,
) -> list[Item]:
    """An axis drawn ``offset`` pixels out from the frame edge on its side."""
    p = axis.props
    left, top, w, h = frame
    major, minor, labels = info
    side = axis.side
    horizontal = side in ("below", "above")
    out = 1.0 if side in ("below", "right") else -1.0
    rule = v.stroke(p, "axis_line")
    edge = {"below": top + h, "above": top, "left": left, "right": left + w}[side] + out * offset
    base = crisp(edge, rule) if rule else edge
    items: list[Item] = []

    def seg(at: float, inner: float, outer: float) -> list[Point]:
        if horizontal:
            return [(at, base - out * inner), (at, base + out * outer)]
        return [(base - out * inner, at), (base + out * outer, at)]

    if rule is not None:
        a, b = (scale.low_px, scale.high_px)
        items.append(Path(parts=[[(a, base), (b, base)] if horizontal else [(base, a), (base, b)]], stroke=rule))
    for values, prefix, inner_key, outer_key in (
        (major, "major_tick_line", "major_tick_in", "major_tick_out"),
        (minor, "minor_tick_line", "minor_tick_in", "minor_tick_out"),
    ):
        tick = v.stroke(p, prefix)
        inner, outer = float(p.raw(inner_key, 0) or 0), float(p.raw(outer_key, 0) or 0)
        if tick is not None and (inner or outer):
            parts = [seg(crisp(scale(t), tick), inner, outer) for t in values if not math.isnan(scale(t))]
            if parts:
                items.append(Path(parts=parts, stroke=tick))
    tick_out = max(float(p.raw("major_tick_out", 6) or 0), float(p.raw("minor_tick_out", 4) or 0) if minor else 0.0)
    size = px(p.raw("major_label_text_font_size", "11px"))
    standoff = float(p.raw("major_label_standoff", 5))
    paint = v.text_paint(p, "major_label_text")
    label_extent = 0.0
    if paint is not None and labels:
        at_label = tick_out + standoff
        label_extent = (max(width(lab, size) for lab in labels) if not horizontal else size * HEIGHT) + LABEL_PADDING
        for value, label in zip(major, labels, strict=True):
            at = scale(value)
            if math.isnan(at):
                continue
            if horizontal:
                y = base + out * at_label
                items.append(
                    Text(at, y, label, size, paint, anchor="middle", baseline="top" if side == "below" else "bottom")
                )
            else:
                x = base + out * at_label
                anchor: Any = "end" if side == "left" else "start"
                items.append(Text(x, at, label, size, paint, anchor=anchor, baseline="middle"))
    title = p.raw("axis_label")
    title_paint = v.text_paint(p, "axis_label_text")
    if title and title_paint is not None:
        tsize = px(p.raw("axis_label_text_font_size", "13px"))
        style = str(p.raw("axis_label_text_font_style", "normal"))
        at_title = tick_out + (standoff + label_extent if labels else 0.0) + float(p.raw("axis_label_standoff", 5))
        centre = (scale.low_px + scale.high_px) / 2
        if horizontal:
            y = base + out * at_title
            items.append(
                Text(centre, y, runs(title), tsize, title_paint, "middle", "top" if side == "below" else "bottom",
                     bold="bold" in style, italic="italic" in style)
            )  # fmt: skip
        else:
            x = base + out * at_title
            items.append(
                Text(x, centre, runs(title), tsize, title_paint, "middle", "bottom" if side == "left" else "top",
                     angle=90.0 if side == "left" else -90.0, bold="bold" in style, italic="italic" in style)
            )  # fmt: skip
    return items


def draw_grid(
    grid: Any, frame: tuple[float, float, float, float], scale: Scale, info: tuple[list[float], list[float], Any]
) -> list[Item]:
    p = v.Props(grid)
    left, top, w, h = frame
    major, minor, _ = info
    vertical_lines = grid.dimension == 0
    items: list[Item] = []
    band = v.fill(p, "band_fill")
    if band is not None and len(major) > 1:
        rects = []
        for a, b in list(zip(major, major[1:], strict=False))[::2]:
            pa, pb = scale(a), scale(b)
            if vertical_lines:
                rects.append([(pa, top), (pb, top), (pb, top + h), (pa, top + h)])
            else:
                rects.append([(left, pa), (left + w, pa), (left + w, pb), (left, pb)])
        items.append(Path(parts=rects, fill=band, closed=True))
    for values, prefix in ((minor, "minor_grid_line"), (major, "grid_line")):
        stroke = v.stroke(p, prefix)
        if stroke is None:
            continue
        parts = []
        for t in values:
            at = scale(t)
            if math.isnan(at):
                continue
            at = crisp(at, stroke)
            parts.append([(at, top), (at, top + h)] if vertical_lines else [(left, at), (left + w, at)])
        if parts:
            items.append(Path(parts=parts, stroke=stroke))
    return items
