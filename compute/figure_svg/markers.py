"""Bokeh's scatter markers as outlines around the origin, in the geometry BokehJS draws them.

Each marker is a filled outline (``area``) and strokes drawn on top of it
(``lines``, which get the line colour only), both for a radius r = size / 2.
Curved sides (circles, pins) become polygons, fine enough at marker sizes.
"""

from __future__ import annotations

import math

from compute.figure_svg.scene import Point

SQ3 = math.sqrt(3)

Shape = tuple[list[list[Point]], list[list[Point]]]


def _circle(r: float, n: int = 20) -> list[Point]:
    return [(r * math.cos(2 * math.pi * k / n), r * math.sin(2 * math.pi * k / n)) for k in range(n)]


def _cross(r: float) -> list[list[Point]]:
    return [[(0, r), (0, -r)], [(-r, 0), (r, 0)]]


def _x(r: float) -> list[list[Point]]:
    d = r / math.sqrt(2)
    return [[(-d, -d), (d, d)], [(-d, d), (d, -d)]]


def _y(r: float) -> list[list[Point]]:
    h = r * SQ3
    a = h / 3
    return [[(-h / 2, -a), (0, 0), (h / 2, -a)], [(0, 0), (0, r)]]


def _triangle(r: float) -> list[Point]:
    h = r * SQ3
    a = h / 3
    return [(-r, a), (r, a), (0, a - h)]


def _diamond(r: float) -> list[Point]:
    return [(0, r), (r / 1.5, 0), (0, -r), (-r / 1.5, 0)]


def _hex(r: float) -> list[Point]:
    h = SQ3 * r / 2
    return [(r, 0), (r / 2, -h), (-r / 2, -h), (-r, 0), (-r / 2, h), (r / 2, h)]


def _star(r: float) -> list[Point]:
    outer = [(r * math.sin(2 * math.pi * k / 5), -r * math.cos(2 * math.pi * k / 5)) for k in range(5)]
    inner_r = r * math.sin(math.radians(18)) / math.sin(math.radians(126))
    inner = [
        (inner_r * math.sin(2 * math.pi * (k + 0.5) / 5), -inner_r * math.cos(2 * math.pi * (k + 0.5) / 5))
        for k in range(5)
    ]
    return [p for pair in zip(outer, inner, strict=True) for p in pair]


def _plus(r: float) -> list[Point]:
    a, b = 3 * r / 8, r
    xs = [a, a, b, b, a, a, -a, -a, -b, -b, -a, -a]
    ys = [b, a, a, -a, -a, -b, -b, -a, -a, a, a, b]
    return list(zip(xs, ys, strict=True))


def _quad(p0: Point, c: Point, p1: Point, n: int = 6) -> list[Point]:
    out = []
    for k in range(1, n + 1):
        t = k / n
        out.append(
            (
                (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t**2 * p1[0],
                (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * c[1] + t**2 * p1[1],
            )
        )
    return out


def _square_pin(r: float) -> list[Point]:
    a = 3 * r / 8
    corners = [(-r, -r), (r, -r), (r, r), (-r, r)]
    controls = [(0, -a), (a, 0), (0, a), (-a, 0)]
    out: list[Point] = [corners[0]]
    for i in range(4):
        out += _quad(corners[i], controls[i], corners[(i + 1) % 4])
    return out[:-1]


def _triangle_pin(r: float) -> list[Point]:
    h = r * SQ3
    a = h / 3
    b = 3 * a / 8
    p0, p1, p2 = (-r, a), (r, a), (0, a - h)
    out: list[Point] = [p0]
    out += _quad(p0, (0, b), p1)
    out += _quad(p1, (SQ3 * b / 2, b / 2), p2)
    out += _quad(p2, (-SQ3 * b / 2, b / 2), p0)
    return out[:-1]


def _square(r: float) -> list[Point]:
    return [(-r, -r), (r, -r), (r, r), (-r, r)]


def _dot(r: float) -> list[Point]:
    return _circle(r / 4, 12)


def shape(name: str, r: float) -> Shape:
    """The filled outlines and the strokes of a marker of radius r; an unknown name is drawn as a circle.

    The centre dot of the "_dot" variants is not included: it is filled with the
    line colour, so the caller draws it as a marker "dot" of its own.
    """
    base = name.removesuffix("_dot") if name != "dot" else "dot"
    if base == "dot":
        return [_dot(r)], []
    areas: dict[str, list[Point]] = {
        "circle": _circle(r),
        "circle_cross": _circle(r),
        "circle_x": _circle(r),
        "circle_y": _circle(r),
        "square": _square(r),
        "square_cross": _square(r),
        "square_x": _square(r),
        "square_pin": _square_pin(r),
        "diamond": _diamond(r),
        "diamond_cross": _diamond(r),
        "hex": _hex(r),
        "triangle": _triangle(r),
        "triangle_pin": _triangle_pin(r),
        "inverted_triangle": [(x, -y) for x, y in _triangle(r)],
        "star": _star(r),
        "plus": _plus(r),
    }
    strokes: dict[str, list[list[Point]]] = {
        "circle_cross": _cross(r),
        "circle_x": _x(r),
        "circle_y": _y(r),
        "square_cross": _cross(r),
        "square_x": [[(-r, r), (r, -r)], [(-r, -r), (r, r)]],
        "diamond_cross": [[(0, r), (0, -r)], [(-r / 1.5, 0), (r / 1.5, 0)]],
        "cross": _cross(r),
        "x": _x(r),
        "y": _y(r),
        "asterisk": _cross(r) + _x(r),
        "dash": [[(-r, 0), (r, 0)]],
    }
    if base not in areas and base not in strokes:
        base = "circle"
    return ([areas[base]] if base in areas else []), strokes.get(base, [])


def is_dotted(name: str) -> bool:
    """Whether the marker has a centre dot, which BokehJS fills with the line colour."""
    return name == "dot" or name.endswith("_dot")


MARKERS = (
    "asterisk circle circle_cross circle_dot circle_x circle_y cross dash diamond diamond_cross diamond_dot dot "
    "hex hex_dot inverted_triangle plus square square_cross square_dot square_pin square_x star star_dot triangle "
    "triangle_dot triangle_pin x y"
).split()
