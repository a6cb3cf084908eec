"""Annotations as scene items: spans, bands, whiskers, boxes, slopes, labels and the legend.

Annotations do not widen automatic ranges (BokehJS counts only glyph
renderers and box annotations), so only drawing is needed here. An annotation
type we do not know is skipped with a logged warning.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from compute.figure_svg import visuals as v
from compute.figure_svg.glyphs import Box, Drawn, text_item
from compute.figure_svg.scales import Scale
from compute.figure_svg.scene import Item, Path, Point, Text
from compute.figure_svg.text import LINE, px, runs, width

log = logging.getLogger(__name__)


def _source_data(model: Any) -> tuple[v.Data, int]:
    source = getattr(model, "source", None)
    data = dict(getattr(source, "data", None) or {})
    n = max((len(c) for c in data.values()), default=0)
    return data, n


def _span(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    stroke = v.stroke(p)
    location = v.number(p.raw("location"))
    if stroke is None or math.isnan(location):
        return []
    screen = p.raw("location_units", "data") == "screen"
    if p.raw("dimension", "width") == "width":  # a horizontal line across the frame
        at = sy.px_start - location if screen else sy(location)
        return [] if math.isnan(at) else [Path(parts=[[(sx.low_px, at), (sx.high_px, at)]], stroke=stroke)]
    at = sx.px_start + location if screen else sx(location)
    return [] if math.isnan(at) else [Path(parts=[[(at, sy.low_px), (at, sy.high_px)]], stroke=stroke)]


def _ends(model: Any, p: v.Props, sx: Scale, sy: Scale) -> tuple[list[Point], list[Point], bool] | None:
    """The pixel ends (base, lower) and (base, upper) of a Band's or Whisker's points, and whether it is vertical."""
    data, n = _source_data(model)
    base = [v.number(x) for x in p.vector("base", data, n)]
    lower = [v.number(x) for x in p.vector("lower", data, n)]
    upper = [v.number(x) for x in p.vector("upper", data, n)]
    vertical = p.raw("dimension", "height") == "height"
    if vertical:
        return (
            [(sx(b), sy(lo)) for b, lo in zip(base, lower, strict=True)],
            [(sx(b), sy(hi)) for b, hi in zip(base, upper, strict=True)],
            True,
        )
    return (
        [(sx(lo), sy(b)) for b, lo in zip(base, lower, strict=True)],
        [(sx(hi), sy(b)) for b, hi in zip(base, upper, strict=True)],
        False,
    )


def _finite(*points: Point) -> bool:
    return all(not math.isnan(c) for pt in points for c in pt)


def _band(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    ends = _ends(model, p, sx, sy)
    if ends is None:
        return []
    lows, highs, _ = ends
    pairs = [(lo, hi) for lo, hi in zip(lows, highs, strict=True) if _finite(lo, hi)]
    if len(pairs) < 2:
        return []
    fill, stroke = v.fill(p), v.stroke(p)
    outline = [hi for _, hi in pairs] + [lo for lo, _ in reversed(pairs)]
    items: list[Item] = []
    if fill is not None:
        items.append(Path(parts=[outline], fill=fill, closed=True))
    if stroke is not None:  # BokehJS strokes the two edges, not the ends
        items.append(Path(parts=[[hi for _, hi in pairs], [lo for lo, _ in pairs]], stroke=stroke))
    return items


def _whisker(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    stroke = v.stroke(p)
    ends = _ends(model, p, sx, sy)
    if stroke is None or ends is None:
        return []
    lows, highs, vertical = ends
    stems: list[list[Point]] = []
    heads: list[list[Point]] = []
    for head_name, points in (("lower_head", lows), ("upper_head", highs)):
        head = getattr(model, head_name, None)
        half = v.number(v.Props(head).raw("size", 10)) / 2 if head is not None else 0.0
        if head is not None and type(head).__name__ != "TeeHead":
            log.warning("figure image: a whisker's %s is drawn as a tee", type(head).__name__)
        if half > 0:
            for x, y in points:
                if _finite((x, y)):
                    heads.append([(x - half, y), (x + half, y)] if vertical else [(x, y - half), (x, y + half)])
    for lo, hi in zip(lows, highs, strict=True):
        if _finite(lo, hi):
            stems.append([lo, hi])
    return [Path(parts=stems + heads, stroke=stroke)] if stems else []


def _edge(value: Any, scale: Scale, default: float) -> float:
    number = v.number(value)
    return default if math.isnan(number) else scale(number)


def _box(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    x0 = _edge(p.raw("left"), sx, sx.low_px)
    x1 = _edge(p.raw("right"), sx, sx.high_px)
    y0 = _edge(p.raw("bottom"), sy, sy.high_px)
    y1 = _edge(p.raw("top"), sy, sy.low_px)
    fill, stroke = v.fill(p), v.stroke(p)
    if not _finite((x0, y0), (x1, y1)) or not (fill or stroke):
        return []
    return [Path(parts=[[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]], fill=fill, stroke=stroke, closed=True)]


def _slope(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    stroke = v.stroke(p)
    gradient, intercept = v.number(p.raw("gradient")), v.number(p.raw("y_intercept"))
    if stroke is None or math.isnan(gradient) or math.isnan(intercept):
        return []
    xs = [sx.start, sx.end]
    if sx.log or sy.log:  # a straight line in data space is curved on a log axis: sample it
        xs = [sx.start + (sx.end - sx.start) * k / 64 for k in range(65)]
    points = [(sx(x), sy(gradient * x + intercept)) for x in xs]
    return [Path(parts=[[pt for pt in points if _finite(pt)]], stroke=stroke)]


def _label(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    x, y = v.number(p.raw("x")), v.number(p.raw("y"))
    px_x = sx.px_start + x if p.raw("x_units", "data") == "screen" else sx(x)
    px_y = sy.px_start - y if p.raw("y_units", "data") == "screen" else sy(y)
    angle = math.degrees(v.number(p.raw("angle", 0)) or 0.0)
    if p.raw("angle_units", "rad") == "deg":
        angle = v.number(p.raw("angle", 0)) or 0.0
    item = text_item(
        p,
        px_x + (v.number(p.raw("x_offset", 0)) or 0),
        px_y - (v.number(p.raw("y_offset", 0)) or 0),
        p.raw("text"),
        angle=angle,
    )
    return [item] if item else []


def _label_set(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    data, n = _source_data(model)
    xs, ys, texts = p.vector("x", data, n), p.vector("y", data, n), p.vector("text", data, n, "")
    dx, dy = p.vector("x_offset", data, n, 0), p.vector("y_offset", data, n, 0)
    items: list[Item] = []
    for i in range(n):
        item = text_item(
            p, sx(v.number(xs[i])) + (v.number(dx[i]) or 0), sy(v.number(ys[i])) - (v.number(dy[i]) or 0), texts[i]
        )
        if item is not None:
            items.append(item)
    return items


def _arrow(model: Any, sx: Scale, sy: Scale) -> list[Item]:
    p = v.Props(model)
    stroke = v.stroke(p)
    start = (sx(v.number(p.raw("x_start"))), sy(v.number(p.raw("y_start"))))
    end = (sx(v.number(p.raw("x_end"))), sy(v.number(p.raw("y_end"))))
    if stroke is None or not _finite(start, end):
        return []
    items: list[Item] = [Path(parts=[[start, end]], stroke=stroke)]
    head = getattr(model, "end", None)
    if head is not None:
        size = v.number(v.Props(head).raw("size", 25)) or 0.0
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        wing = [
            (end[0] - size * math.cos(angle - s * math.pi / 6), end[1] - size * math.sin(angle - s * math.pi / 6))
            for s in (1, -1)
        ]
        items.append(Path(parts=[[wing[0], end, wing[1]]], stroke=stroke))
    return items


DRAWERS = {
    "Span": _span,
    "Band": _band,
    "Whisker": _whisker,
    "BoxAnnotation": _box,
    "Slope": _slope,
    "Label": _label,
    "LabelSet": _label_set,
    "Arrow": _arrow,
}


def draw(model: Any, sx: Scale, sy: Scale) -> list[Item] | None:
    """An annotation's items (in frame pixels); None for an annotation type this renderer does not know."""
    drawer = DRAWERS.get(type(model).__name__)
    return None if drawer is None else drawer(model, sx, sy)


# --- the legend ------------------------------------------------------------------------


def legend_entries(model: Any, samples: dict[str, Drawn]) -> list[tuple[list[tuple[str, Any]], list[Drawn]]]:
    """Each legend item's label runs and the drawn glyphs whose samples it shows."""
    out = []
    for item in model.items:
        if not item.visible:
            continue
        label = v.Props(item).raw("label")
        if label is None:
            spec = v.Props(item).values.get("label")
            field = getattr(spec, "field", None)
            # A label taken from a column: Bokeh shows one entry per distinct value; we show the first.
            source = item.renderers[0].data_source if item.renderers else None
            column = (getattr(source, "data", None) or {}).get(field) if field else None
            label = list(column)[0] if column is not None and len(column) else None
        if label is None or label == "":
            continue
        drawn = [samples[r.id] for r in item.renderers if r.id in samples]
        out.append((runs(label), drawn))
    return out


Entries = list[tuple[list[tuple[str, Any]], list[Drawn]]]


@dataclass
class _Grid:
    """A legend laid out as BokehJS's CSS grid lays it out: padding, an optional title, then rows and columns."""

    width: float
    height: float
    cells: list[tuple[float, float]]  # each entry's top-left, relative to the box
    row_height: float
    title_height: float


def _grid(model: Any, entries: Entries) -> _Grid:
    p = v.Props(model)
    size = px(p.raw("label_text_font_size", "13px"))
    glyph_w, glyph_h = float(p.raw("glyph_width", 20)), float(p.raw("glyph_height", 20))
    standoff, spacing = float(p.raw("label_standoff", 5)), float(p.raw("spacing", 3))
    padding = float(p.raw("padding", 10)) if p.raw("border_line_color") is not None else 0.0
    label_w = float(p.raw("label_width", 20))
    row_h = max(glyph_h, size * LINE)
    n = len(entries)
    if not n:
        return _Grid(0.0, 0.0, [], row_h, 0.0)
    vertical = p.raw("orientation", "vertical") != "horizontal"
    ncols, nrows = p.raw("ncols", "auto"), p.raw("nrows", "auto")
    if isinstance(ncols, int) and isinstance(nrows, int):
        nc, nr = ncols, nrows
    elif isinstance(ncols, int):
        nc, nr = ncols, math.ceil(n / ncols)
    elif isinstance(nrows, int):
        nc, nr = math.ceil(n / nrows), nrows
    else:
        nc, nr = (1, n) if vertical else (n, 1)
    place = [((i % nr, i // nr) if vertical else (i // nc, i % nc)) for i in range(n)]  # (row, column)
    widths = [glyph_w + standoff + max(label_w, width(label, size)) for label, _ in entries]
    columns = [max((w for w, (_, c) in zip(widths, place, strict=True) if c == col), default=0.0) for col in range(nc)]
    title = p.raw("title")
    title_size = px(p.raw("title_text_font_size", "13px"))
    title_h = title_size * LINE + float(p.raw("title_standoff", 5)) if title else 0.0
    lefts = [padding + sum(columns[:c]) + spacing * c for c in range(nc)]
    cells = [(lefts[c], padding + title_h + r * (row_h + spacing)) for r, c in place]
    used_rows = max(r for r, _ in place) + 1
    inner_w = max(sum(columns) + spacing * (nc - 1), width(runs(title), title_size) if title else 0.0)
    height = title_h + used_rows * row_h + spacing * (used_rows - 1)
    return _Grid(inner_w + 2 * padding, height + 2 * padding, cells, row_h, title_h)


def legend_size(model: Any, entries: Entries) -> tuple[float, float]:
    """Width and height of a legend box (padding, title, items and spacing) at its model's sizes."""
    grid = _grid(model, entries)
    return grid.width, grid.height


def legend_items(model: Any, entries: Entries, left: float, top: float) -> list[Item]:
    """The legend box with its top-left corner at (left, top)."""
    p = v.Props(model)
    grid = _grid(model, entries)
    items: list[Item] = []
    background, border = v.fill(p, "background_fill"), v.stroke(p, "border_line")
    if background or border:
        w, h = grid.width, grid.height
        rect = [(left, top), (left + w, top), (left + w, top + h), (left, top + h)]
        items.append(Path(parts=[rect], fill=background, stroke=border, closed=True))
    padding = float(p.raw("padding", 10)) if p.raw("border_line_color") is not None else 0.0
    title = p.raw("title")
    title_paint = v.text_paint(p, "title_text")
    if title and title_paint is not None:
        title_size = px(p.raw("title_text_font_size", "13px"))
        style = str(p.raw("title_text_font_style", "italic"))
        items.append(
            Text(left + padding, top + padding + title_size * LINE / 2, runs(title), title_size, title_paint,
                 baseline="middle", bold="bold" in style, italic="italic" in style)
        )  # fmt: skip
    size = px(p.raw("label_text_font_size", "13px"))
    glyph_w, glyph_h = float(p.raw("glyph_width", 20)), float(p.raw("glyph_height", 20))
    standoff = float(p.raw("label_standoff", 5))
    paint = v.text_paint(p, "label_text")
    style = str(p.raw("label_text_font_style", "normal"))
    for (label, drawn), (cx, cy) in zip(entries, grid.cells, strict=True):
        x, y = left + cx, top + cy
        gy = y + (grid.row_height - glyph_h) / 2
        box: Box = (x, gy, x + glyph_w, gy + glyph_h)
        for d in drawn:
            if d.legend is not None:
                items += d.legend(box)
        if paint is not None:
            items.append(
                Text(x + glyph_w + standoff, y + grid.row_height / 2, label, size, paint, baseline="middle",
                     bold="bold" in style, italic="italic" in style)
            )  # fmt: skip
    return items
