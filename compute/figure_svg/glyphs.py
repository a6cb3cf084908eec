"""Glyph renderers as scene items: lines, markers, areas, bars, segments and text.

For each glyph type we know two things: the data bounds it adds to an
automatic range (``bounds``) and how to draw it (``draw``), including the
small sample a legend shows for it. A glyph type we do not know is skipped
with a logged warning; the rest of the figure is still drawn.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compute.figure_svg import visuals as v
from compute.figure_svg.markers import is_dotted
from compute.figure_svg.scales import Scale
from compute.figure_svg.scene import Anchor, Baseline, Item, Marks, Paint, Path, Point, Stroke, Text
from compute.figure_svg.text import px, runs

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


@dataclass
class Drawn:
    items: list[Item] = field(default_factory=list)
    # The sample a legend entry shows for this glyph, drawn into a box.
    legend: Callable[[Box], list[Item]] | None = None


def _parts(points: list[Point]) -> list[list[Point]]:
    """Split a polyline where a point cannot be drawn (NaN), as BokehJS does."""
    out: list[list[Point]] = []
    current: list[Point] = []
    for x, y in points:
        if math.isnan(x) or math.isnan(y):
            if current:
                out.append(current)
            current = []
        else:
            current.append((x, y))
    if current:
        out.append(current)
    return out


def _line_sample(stroke: Stroke | None) -> Callable[[Box], list[Item]]:
    def sample(box: Box) -> list[Item]:
        x0, y0, x1, y1 = box
        mid = (y0 + y1) / 2
        return [Path(parts=[[(x0, mid), (x1, mid)]], stroke=stroke)] if stroke else []

    return sample


def _area_sample(fill: Paint | None, stroke: Stroke | None) -> Callable[[Box], list[Item]]:
    def sample(box: Box) -> list[Item]:
        x0, y0, x1, y1 = box
        dx, dy = (x1 - x0) * 0.1, (y1 - y0) * 0.1
        rect = [(x0 + dx, y0 + dy), (x1 - dx, y0 + dy), (x1 - dx, y1 - dy), (x0 + dx, y1 - dy)]
        return [Path(parts=[rect], stroke=stroke, fill=fill, closed=True)] if fill or stroke else []

    return sample


def _marks(shape: str, size: float, centres: list[Point], stroke: Stroke | None, fill: Paint | None) -> list[Item]:
    items: list[Item] = [Marks(shape=shape, size=size, centres=centres, stroke=stroke, fill=fill)]
    if is_dotted(shape) and shape != "dot" and stroke is not None:
        items.append(Marks(shape="dot", size=size, centres=centres, fill=stroke.paint))
    return items


# --- bounds ----------------------------------------------------------------------------


def _col(p: v.Props, name: str, data: v.Data, n: int) -> list[float]:
    return [v.number(x) for x in p.vector(name, data, n)]


def _flat(p: v.Props, name: str, data: v.Data, n: int) -> list[float]:
    return [x for item in p.vector(name, data, n) for x in v.numbers(item)]


def _spread(centres: list[float], widths: list[float], sign: float) -> list[float]:
    return [c + sign * w / 2 for c, w in zip(centres, widths, strict=True)]


def bounds(glyph: Any, data: v.Data, n: int) -> tuple[list[float], list[float]] | None:
    """The data values of a glyph in x and in y that an automatic range must include; None if unknown."""
    kind = type(glyph).__name__
    p = v.Props(glyph)
    xy = ("Line", "Scatter", "Circle", "Step", "Text", "Ellipse", "Ray", "Wedge", "AnnularWedge", "Annulus")
    if kind in xy:
        return _col(p, "x", data, n), _col(p, "y", data, n)
    if kind in ("MultiLine", "Patches"):
        return _flat(p, "xs", data, n), _flat(p, "ys", data, n)
    if kind == "Patch":
        return _col(p, "x", data, n), _col(p, "y", data, n)
    if kind in ("VArea", "VAreaStep"):
        return _col(p, "x", data, n), _col(p, "y1", data, n) + _col(p, "y2", data, n)
    if kind in ("HArea", "HAreaStep"):
        return _col(p, "x1", data, n) + _col(p, "x2", data, n), _col(p, "y", data, n)
    if kind == "Quad":
        return _col(p, "left", data, n) + _col(p, "right", data, n), _col(p, "top", data, n) + _col(
            p, "bottom", data, n
        )
    if kind == "VBar":
        x, w = _col(p, "x", data, n), _col(p, "width", data, n)
        return _spread(x, w, -1) + _spread(x, w, 1), _col(p, "top", data, n) + _col(p, "bottom", data, n)
    if kind == "HBar":
        y, h = _col(p, "y", data, n), _col(p, "height", data, n)
        return _col(p, "left", data, n) + _col(p, "right", data, n), _spread(y, h, -1) + _spread(y, h, 1)
    if kind == "Rect":
        x, y = _col(p, "x", data, n), _col(p, "y", data, n)
        w, h = _col(p, "width", data, n), _col(p, "height", data, n)
        return _spread(x, w, -1) + _spread(x, w, 1), _spread(y, h, -1) + _spread(y, h, 1)
    if kind == "Segment":
        return _col(p, "x0", data, n) + _col(p, "x1", data, n), _col(p, "y0", data, n) + _col(p, "y1", data, n)
    if kind == "HSpan":
        return [], _col(p, "y", data, n)
    if kind == "VSpan":
        return _col(p, "x", data, n), []
    return None


# --- drawing ---------------------------------------------------------------------------


def _line(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    stroke = v.stroke(p)
    points = [(sx(x), sy(y)) for x, y in zip(_col(p, "x", data, n), _col(p, "y", data, n), strict=True)]
    items: list[Item] = [Path(parts=_parts(points), stroke=stroke)] if stroke else []
    return Drawn(items, _line_sample(stroke))


def _step(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    stroke = v.stroke(p)
    mode = p.raw("mode", "before")
    pts = [(sx(x), sy(y)) for x, y in zip(_col(p, "x", data, n), _col(p, "y", data, n), strict=True)]
    out: list[Point] = pts[:1]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if mode == "after":
            out += [(x1, y0), (x1, y1)]
        elif mode == "center":
            mid = (x0 + x1) / 2
            out += [(mid, y0), (mid, y1), (x1, y1)]
        else:
            out += [(x0, y1), (x1, y1)]
    return Drawn([Path(parts=_parts(out), stroke=stroke)] if stroke else [], _line_sample(stroke))


def _multi_line(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    xs, ys = p.vector("xs", data, n), p.vector("ys", data, n)
    line = v.strokes(p, data, n)
    items: list[Item] = []
    for i in range(n):
        if line[i] is None:
            continue
        pts = [(sx(x), sy(y)) for x, y in zip(v.numbers(xs[i]), v.numbers(ys[i]), strict=False)]
        items.append(Path(parts=_parts(pts), stroke=line[i]))
    return Drawn(items, _line_sample(line[0] if line else None))


def _scatter(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale, kind: str) -> Drawn:
    x, y = _col(p, "x", data, n), _col(p, "y", data, n)
    size = _col(p, "size", data, n)
    shape = p.vector("marker", data, n, "circle") if kind == "Scatter" else ["circle"] * n
    line, fill = v.strokes(p, data, n), v.fills(p, data, n)
    groups: dict[tuple[Any, ...], list[Point]] = {}
    if kind == "Circle":  # a radius in data units (or screen pixels)
        radius = _col(p, "radius", data, n)
        screen = p.values.get("radius_units", "data") == "screen"
        size = [2 * r if screen else sx.length(xi, 2 * r) for xi, r in zip(x, radius, strict=True)]
    for i in range(n):
        centre = (sx(x[i]), sy(y[i]))
        if math.isnan(centre[0]) or math.isnan(centre[1]) or not size[i] > 0:
            continue
        groups.setdefault((str(shape[i]), round(size[i], 2), line[i], fill[i]), []).append(centre)
    items: list[Item] = []
    for (name, s, st, fi), centres in groups.items():
        items += _marks(name, s, centres, st, fi)
    first_shape = str(shape[0]) if n else "circle"

    def sample(box: Box) -> list[Item]:
        x0, y0, x1, y1 = box
        s = min(abs(x1 - x0), abs(y1 - y0)) * 0.4
        return _marks(first_shape, s, [((x0 + x1) / 2, (y0 + y1) / 2)], line[0] if n else None, fill[0] if n else None)

    return Drawn(items, sample)


def _polygon_path(points: list[Point], fill: Paint | None, stroke: Stroke | None) -> list[Item]:
    parts = [part for part in _parts(points) if len(part) > 2]
    return [Path(parts=parts, fill=fill, stroke=stroke, closed=True)] if parts and (fill or stroke) else []


def _area(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale, vertical: bool) -> Drawn:
    fill, stroke = v.fill(p), v.stroke(p) if "line_color" in p.values else None
    a, lo, hi = ("x", "y1", "y2") if vertical else ("y", "x1", "x2")
    base, one, two = _col(p, a, data, n), _col(p, lo, data, n), _col(p, hi, data, n)
    items: list[Item] = []
    # A gap (NaN) in any of the three columns splits the area into separate polygons.
    run: list[int] = []
    segments: list[list[int]] = []
    for i in range(n):
        if math.isnan(base[i]) or math.isnan(one[i]) or math.isnan(two[i]):
            if run:
                segments.append(run)
            run = []
        else:
            run.append(i)
    if run:
        segments.append(run)
    for seg in segments:
        if vertical:
            pts = [(sx(base[i]), sy(one[i])) for i in seg] + [(sx(base[i]), sy(two[i])) for i in reversed(seg)]
        else:
            pts = [(sx(one[i]), sy(base[i])) for i in seg] + [(sx(two[i]), sy(base[i])) for i in reversed(seg)]
        items += _polygon_path(pts, fill, stroke)
    return Drawn(items, _area_sample(fill, stroke))


def _patch(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    fill, stroke = v.fill(p), v.stroke(p)
    pts = [(sx(x), sy(y)) for x, y in zip(_col(p, "x", data, n), _col(p, "y", data, n), strict=True)]
    return Drawn(_polygon_path(pts, fill, stroke), _area_sample(fill, stroke))


def _patches(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    xs, ys = p.vector("xs", data, n), p.vector("ys", data, n)
    fill, line = v.fills(p, data, n), v.strokes(p, data, n)
    items: list[Item] = []
    for i in range(n):
        pts = [(sx(x), sy(y)) for x, y in zip(v.numbers(xs[i]), v.numbers(ys[i]), strict=False)]
        items += _polygon_path(pts, fill[i], line[i])
    return Drawn(items, _area_sample(fill[0] if n else None, line[0] if n else None))


def _boxes(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale, kind: str) -> Drawn:
    if kind == "Quad":
        left, right = _col(p, "left", data, n), _col(p, "right", data, n)
        top, bottom = _col(p, "top", data, n), _col(p, "bottom", data, n)
    elif kind == "VBar":
        x, w = _col(p, "x", data, n), _col(p, "width", data, n)
        left, right = _spread(x, w, -1), _spread(x, w, 1)
        top, bottom = _col(p, "top", data, n), _col(p, "bottom", data, n)
    elif kind == "HBar":
        y, h = _col(p, "y", data, n), _col(p, "height", data, n)
        bottom, top = _spread(y, h, -1), _spread(y, h, 1)
        left, right = _col(p, "left", data, n), _col(p, "right", data, n)
    else:  # Rect
        x, y = _col(p, "x", data, n), _col(p, "y", data, n)
        w, h = _col(p, "width", data, n), _col(p, "height", data, n)
        left, right, bottom, top = _spread(x, w, -1), _spread(x, w, 1), _spread(y, h, -1), _spread(y, h, 1)
    fill, line = v.fills(p, data, n), v.strokes(p, data, n)
    items: list[Item] = []
    for i in range(n):
        x0, x1, y0, y1 = sx(left[i]), sx(right[i]), sy(bottom[i]), sy(top[i])
        items += _polygon_path([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], fill[i], line[i])
    return Drawn(items, _area_sample(fill[0] if n else None, line[0] if n else None))


def _segments(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    x0, y0 = _col(p, "x0", data, n), _col(p, "y0", data, n)
    x1, y1 = _col(p, "x1", data, n), _col(p, "y1", data, n)
    line = v.strokes(p, data, n)
    by_stroke: dict[Stroke, list[list[Point]]] = {}
    for i in range(n):
        st = line[i]
        seg = [(sx(x0[i]), sy(y0[i])), (sx(x1[i]), sy(y1[i]))]
        if st is not None and not any(math.isnan(c) for pt in seg for c in pt):
            by_stroke.setdefault(st, []).append(seg)
    items: list[Item] = [Path(parts=parts, stroke=st) for st, parts in by_stroke.items()]
    return Drawn(items, _line_sample(line[0] if n else None))


def _spans(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale, horizontal: bool) -> Drawn:
    where = _col(p, "y" if horizontal else "x", data, n)
    line = v.strokes(p, data, n)
    items: list[Item] = []
    for i in range(n):
        if line[i] is None:
            continue
        if horizontal:
            at = sy(where[i])
            seg = [(sx.low_px, at), (sx.high_px, at)]
        else:
            at = sx(where[i])
            seg = [(at, sy.low_px), (at, sy.high_px)]
        if not math.isnan(at):
            items.append(Path(parts=[seg], stroke=line[i]))
    return Drawn(items, _line_sample(line[0] if n else None))


def _text(p: v.Props, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn:
    x, y, texts = _col(p, "x", data, n), _col(p, "y", data, n), p.vector("text", data, n, "")
    dx, dy = _col(p, "x_offset", data, n), _col(p, "y_offset", data, n)
    items: list[Item] = []
    for i in range(n):
        item = text_item(p, sx(x[i]) + (dx[i] or 0), sy(y[i]) + (dy[i] or 0), texts[i])
        if item is not None:
            items.append(item)
    return Drawn(items, None)


def text_item(p: v.Props, x: float, y: float, label: Any, prefix: str = "text", angle: float = 0.0) -> Text | None:
    """Text at a pixel position with a model's text visuals (align, baseline, font size and style, colour)."""
    paint = v.text_paint(p, prefix)
    if paint is None or math.isnan(x) or math.isnan(y) or label in (None, ""):
        return None
    style = str(p.raw(f"{prefix}_font_style", "normal") or "normal")
    align = p.raw(f"{prefix}_align", "left")
    base = p.raw(f"{prefix}_baseline", "bottom")
    anchors: dict[str, Anchor] = {"left": "start", "center": "middle", "right": "end"}
    baselines: dict[str, Baseline] = {"top": "top", "hanging": "top", "middle": "middle", "bottom": "bottom"}
    return Text(
        x=x,
        y=y,
        runs=runs(label),
        size=px(p.raw(f"{prefix}_font_size", "13px")),
        paint=paint,
        anchor=anchors.get(align, "start"),
        baseline=baselines.get(base, "alphabetic"),
        angle=angle,
        bold="bold" in style,
        italic="italic" in style,
    )


def draw(glyph: Any, data: v.Data, n: int, sx: Scale, sy: Scale) -> Drawn | None:
    """A glyph's items and legend sample; None for a glyph type this renderer does not know."""
    kind = type(glyph).__name__
    p = v.Props(glyph)
    if kind == "Line":
        return _line(p, data, n, sx, sy)
    if kind == "Step":
        return _step(p, data, n, sx, sy)
    if kind == "MultiLine":
        return _multi_line(p, data, n, sx, sy)
    if kind in ("Scatter", "Circle"):
        return _scatter(p, data, n, sx, sy, kind)
    if kind in ("VArea", "HArea"):
        return _area(p, data, n, sx, sy, vertical=kind == "VArea")
    if kind == "Patch":
        return _patch(p, data, n, sx, sy)
    if kind == "Patches":
        return _patches(p, data, n, sx, sy)
    if kind in ("Quad", "VBar", "HBar", "Rect"):
        return _boxes(p, data, n, sx, sy, kind)
    if kind == "Segment":
        return _segments(p, data, n, sx, sy)
    if kind in ("HSpan", "VSpan"):
        return _spans(p, data, n, sx, sy, horizontal=kind == "HSpan")
    if kind == "Text":
        return _text(p, data, n, sx, sy)
    return None


# The glyph types drawn into images (anything else is skipped with a warning).
KNOWN = (
    "Line Step MultiLine Scatter Circle VArea HArea Patch Patches Quad VBar HBar Rect Segment HSpan VSpan Text"
).split()
