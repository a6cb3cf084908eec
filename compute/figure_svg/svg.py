"""A scene as a small, self-contained SVG document.

Coordinates are written to a tenth of a pixel, lines are simplified to within
a third of a pixel, and markers are drawn once and reused, so that a figure
of a few hundred points weighs a few kilobytes. Neutral inks are CSS classes
whose colours a ``<style>`` element sets for light mode and, under
``prefers-color-scheme: dark``, for dark mode; ``for_theme`` pins one mode.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Literal

from compute.figure_svg import ink, markers
from compute.figure_svg.scene import Group, Item, Marks, Paint, Path, Point, Scene, Stroke, Text
from compute.figure_svg.text import FONT_FAMILY, MIDDLE_TO_BASELINE, SUP_SCALE

# Lines are simplified until no point moves further than this many pixels.
TOLERANCE = 0.3
_DARK = "@media (prefers-color-scheme:dark){"
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
# Where the alphabetic baseline sits from a text's requested baseline, in font sizes (y grows downwards).
_BASELINE_SHIFT = {"alphabetic": 0.0, "middle": MIDDLE_TO_BASELINE, "top": 0.78, "bottom": -0.22}


def num(value: float) -> str:
    """A coordinate to a tenth of a pixel, as short as it can be written: 12, 1.5, .5, -.5."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def simplify(points: list[Point], tolerance: float = TOLERANCE) -> list[Point]:
    """Ramer-Douglas-Peucker: the fewest points that stay within ``tolerance`` pixels of the polyline."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy)
        worst, where = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            gap = abs(dy * (px - x0) - dx * (py - y0)) / norm if norm else math.hypot(px - x0, py - y0)
            if gap > worst:
                worst, where = gap, i
        if worst > tolerance and where > 0:
            keep[where] = True
            stack += [(first, where), (where, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def path_data(parts: list[list[Point]], closed: bool = False, *, tolerance: float = TOLERANCE) -> str:
    """SVG path data: an absolute move to each part's start, then relative lines in exact tenths."""
    out = []
    for part in parts:
        pts = simplify(part, tolerance) if not closed else part
        tenths = [(round(x * 10), round(y * 10)) for x, y in pts]
        deduped = [tenths[0]] + [p for prev, p in zip(tenths, tenths[1:], strict=False) if p != prev]
        if len(deduped) < 2 and not closed:
            deduped = deduped * 2
        x0, y0 = deduped[0]
        steps: list[float] = []
        for (ax, ay), (bx, by) in zip(deduped, deduped[1:], strict=False):
            steps += [(bx - ax) / 10, (by - ay) / 10]
        text = f"M{num(x0 / 10)} {num(y0 / 10)}"
        if steps:
            text += "l" + _join(steps)
        out.append(text + ("z" if closed else ""))
    return "".join(out)


def _join(values: list[float]) -> str:
    out = ""
    for value in values:
        text = num(value)
        if out and not text.startswith("-") and not (text.startswith(".") and "." in re.split(r"[ \-]", out)[-1]):
            out += " "
        out += text
    return out


def _classes(fill: Paint | None, stroke: Stroke | None) -> str:
    names = []
    if fill is not None and fill.token:
        names.append(f"f{fill.token}")
    if stroke is not None and stroke.paint.token:
        names.append(f"s{stroke.paint.token}")
    return f' class="{" ".join(names)}"' if names else ""


def _paint_attrs(fill: Paint | None, stroke: Stroke | None) -> str:
    attrs = _classes(fill, stroke)
    if fill is not None:
        if not fill.token:
            attrs += f' fill="{fill.colour}"'
        if fill.alpha < 1:
            attrs += f' fill-opacity="{_alpha(fill.alpha)}"'
    if stroke is not None:
        if not stroke.paint.token:
            attrs += f' stroke="{stroke.paint.colour}"'
        if stroke.paint.alpha < 1:
            attrs += f' stroke-opacity="{_alpha(stroke.paint.alpha)}"'
        if stroke.width != 1:
            attrs += f' stroke-width="{num(stroke.width)}"'
        if stroke.dash:
            attrs += f' stroke-dasharray="{" ".join(num(d) for d in stroke.dash)}"'
        if stroke.cap != "butt":
            attrs += f' stroke-linecap="{stroke.cap}"'
        if stroke.join != "bevel":
            attrs += f' stroke-linejoin="{stroke.join}"'
    return attrs


def _alpha(alpha: float) -> str:
    return f"{alpha:.2f}".rstrip("0").rstrip(".").lstrip("0") or "0"


class _Writer:
    def __init__(self) -> None:
        self.defs: list[str] = []
        self.clips: dict[tuple[float, ...], str] = {}
        self.shapes: dict[tuple[str, float], str] = {}

    def clip(self, rect: tuple[float, float, float, float]) -> str:
        key = tuple(round(c, 1) for c in rect)
        if key not in self.clips:
            name = f"lmc{len(self.clips)}"
            x, y, w, h = key
            self.defs.append(
                f'<clipPath id="{name}"><rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"/></clipPath>'
            )
            self.clips[key] = name
        return self.clips[key]

    def shape(self, name: str, size: float) -> tuple[str | None, str | None]:
        """Ids of the marker's filled outline and of its strokes, defined once per shape and size."""
        ids: list[str | None] = []
        areas, strokes = markers.shape(name, size / 2)
        for kind, parts, closed in (("a", areas, True), ("s", strokes, False)):
            if not parts:
                ids.append(None)
                continue
            key = (f"{name}:{kind}", round(size, 2))
            if key not in self.shapes:
                ident = f"lmm{len(self.shapes)}"
                self.defs.append(f'<path id="{ident}" d="{path_data(parts, closed, tolerance=0.05)}"/>')
                self.shapes[key] = ident
            ids.append(self.shapes[key])
        return ids[0], ids[1]

    def item(self, item: Item) -> str:
        if isinstance(item, Group):
            inner = "".join(self.item(i) for i in item.items)
            if not inner:
                return ""
            if item.clip is None:
                return inner
            return f'<g clip-path="url(#{self.clip(item.clip)})">{inner}</g>'
        if isinstance(item, Path):
            parts = [p for p in item.parts if p]
            if not parts:
                return ""
            fill = item.fill if item.closed else None
            return f'<path d="{path_data(parts, item.closed)}"{_paint_attrs(fill, item.stroke)}/>'
        if isinstance(item, Marks):
            return self.marks(item)
        if isinstance(item, Text):
            return self.text(item)
        return ""

    def marks(self, item: Marks) -> str:
        if not item.centres or item.size <= 0:
            return ""
        same = item.stroke is None or (
            item.fill is not None and item.stroke.paint == item.fill and not item.stroke.dash
        )
        if item.shape in ("circle", "square") and item.fill is not None and same:
            # A zero-length line with a round (square) cap is a filled circle (square): ten bytes a marker.
            width = item.size + (item.stroke.width if item.stroke else 0)
            cap: Literal["round", "square"] = "round" if item.shape == "circle" else "square"
            dots = "".join(f"M{num(x)} {num(y)}h0" for x, y in item.centres)
            stroke = Stroke(paint=item.fill, width=width, cap=cap)
            return f'<path d="{dots}"{_paint_attrs(None, stroke)}/>'
        area, lines = self.shape(item.shape, item.size)
        uses_area = "".join(f'<use href="#{area}" x="{num(x)}" y="{num(y)}"/>' for x, y in item.centres) if area else ""
        uses_lines = (
            "".join(f'<use href="#{lines}" x="{num(x)}" y="{num(y)}"/>' for x, y in item.centres) if lines else ""
        )
        out = ""
        if uses_area and (item.fill or item.stroke):
            out += f"<g{_paint_attrs(item.fill, item.stroke)}>{uses_area}</g>"
        if uses_lines and item.stroke:
            out += f"<g{_paint_attrs(None, item.stroke)}>{uses_lines}</g>"
        return out

    def text(self, item: Text) -> str:
        if not item.plain.strip():
            return ""
        shift = _BASELINE_SHIFT[item.baseline] * item.size
        attrs = f' x="{num(item.x)}" y="{num(item.y + shift)}" font-size="{num(item.size)}"'
        if item.anchor != "start":
            attrs += f' text-anchor="{item.anchor}"'
        if item.bold:
            attrs += ' font-weight="bold"'
        if item.italic:
            attrs += ' font-style="italic"'
        if item.angle:
            attrs += f' transform="rotate({num(-item.angle)} {num(item.x)} {num(item.y)})"'
        attrs += _classes(item.paint, None)
        if not item.paint.token:
            attrs += f' fill="{item.paint.colour}"'
        if item.paint.alpha < 1:
            attrs += f' fill-opacity="{_alpha(item.paint.alpha)}"'
        body = ""
        raised = 0.0
        small = num(item.size * SUP_SCALE)
        for text, where in item.runs:
            target = {"": 0.0, "sup": -0.4 * item.size, "sub": 0.25 * item.size}[where]
            move = target - raised
            raised = target
            dy = f' dy="{num(move)}"' if move else ""
            if where:
                body += f'<tspan{dy} font-size="{small}">{escape(text, quote=False)}</tspan>'
            elif dy:
                body += f"<tspan{dy}>{escape(text, quote=False)}</tspan>"
            else:
                body += escape(text, quote=False)
        return f"<text{attrs}>{body}</text>"


def style(mode: str = "auto") -> str:
    """The CSS of the ink classes: light, dark, or light with dark under prefers-color-scheme ("auto")."""

    def rules(which: str) -> str:
        return "".join(
            f".f{name}{{fill:{pair[which]}}}.s{name}{{stroke:{pair[which]}}}"
            for name, pair in sorted(ink.tokens().items())
        )

    if mode in ("light", "dark"):
        return rules(mode)
    return rules("light") + _DARK + rules("dark") + "}"


def for_theme(svg: str, mode: str) -> str:
    """The same SVG with its inks pinned to light or dark mode (``auto`` leaves it following the reader's system)."""
    if mode not in ("light", "dark"):
        return svg
    match = _STYLE.search(svg)
    if match is None or _DARK not in match.group(1):
        return svg
    light, dark = match.group(1).split(_DARK, 1)
    chosen = light if mode == "light" else dark[:-1]
    return svg[: match.start(1)] + chosen + svg[match.end(1) :]


def write(scene: Scene) -> str:
    """The SVG document of a scene; the page's mode decides its inks (see ``for_theme``)."""
    writer = _Writer()
    body = "".join(writer.item(i) for i in scene.items)
    w, h = int(round(scene.width)), int(round(scene.height))
    label = escape(scene.title or "Figure")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{label}" fill="none" stroke-linejoin="bevel" font-family="{FONT_FAMILY}">'
    )
    meta = f"<title>{label}</title>" + (f"<desc>{escape(scene.description)}</desc>" if scene.description else "")
    defs = f"<defs>{''.join(writer.defs)}</defs>" if writer.defs else ""
    return f"{head}{meta}<style>{style()}</style>{defs}{body}</svg>"
