"""A scene as a PNG, for Open Graph previews (social sites do not show SVG): Pillow, drawn at twice the
size and scaled down for smooth edges, on the light page colour, in light-mode inks."""

from __future__ import annotations

import io
import math
import os
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from compute.figure_svg import ink, markers
from compute.figure_svg.scene import Group, Item, Marks, Paint, Path, Point, Scene, Stroke, Text
from compute.figure_svg.text import MIDDLE_TO_BASELINE, PNG_FONTS, SUP_SCALE

SUPERSAMPLE = 2


@lru_cache(maxsize=32)
def _font(size: int, bold: bool, italic: bool) -> Any:
    """The first of PNG_FONTS on this machine in the wanted style (DejaVu and Liberation name them alike)."""
    style = {(False, False): "", (True, False): "-Bold", (False, True): "-Oblique", (True, True): "-BoldOblique"}
    for path in PNG_FONTS:
        if not os.path.exists(path):
            continue
        for suffix in (style[bold, italic], style[bold, italic].replace("Oblique", "Italic"), ""):
            candidate = path.replace("-Regular.ttf", ".ttf").replace(".ttf", f"{suffix}.ttf") if suffix else path
            if "Liberation" in path and suffix:
                candidate = path.replace("-Regular.ttf", f"{suffix}.ttf")
            if os.path.exists(candidate):
                return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


@lru_cache(maxsize=32)
def _fallback_font(size: int) -> Any | None:
    """DejaVu Sans, for the characters the first font lacks (Liberation Sans has no ∝ or ≲); None if absent."""
    for path in PNG_FONTS:
        if "DejaVu" in path and os.path.exists(path):
            return ImageFont.truetype(path, size)
    return None


@lru_cache(maxsize=32)
def _missing_glyph(font: Any) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask("\uffff")  # a noncharacter: every font draws its .notdef box for it
    return mask.size, bytes(mask)


@lru_cache(maxsize=4096)
def _has_glyph(font: Any, char: str) -> bool:
    if char.isspace():
        return True
    mask = font.getmask(char)
    return (mask.size, bytes(mask)) != _missing_glyph(font)


def _covered(text: str, font: Any) -> list[tuple[str, Any]]:
    """``text`` in stretches, each with its font: ``font``, or the fallback where ``font`` lacks a glyph."""
    fallback = _fallback_font(font.size)
    out: list[tuple[str, Any]] = []
    for char in text:
        use = font if fallback is None or _has_glyph(font, char) else fallback
        if out and out[-1][1] is use:
            out[-1] = (out[-1][0] + char, use)
        else:
            out.append((char, use))
    return out


def _rgba(p: Paint, extra_alpha: float = 1.0) -> tuple[int, int, int, int]:
    parsed = ink.rgba(ink.resolve(p, "light"))
    assert parsed is not None
    return parsed[0], parsed[1], parsed[2], int(round(255 * p.alpha * extra_alpha))


def _dashed(points: list[Point], pattern: tuple[float, ...]) -> list[list[Point]]:
    if not pattern:
        return [points]
    if len(pattern) % 2:
        pattern = pattern * 2
    out: list[list[Point]] = []
    index, left, drawing = 0, pattern[0], True
    current: list[Point] = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while length - done > left:
            done += left
            t = done / length
            pt = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if drawing:
                current.append(pt)
                out.append(current)
            current = [pt]
            drawing = not drawing
            index = (index + 1) % len(pattern)
            left = pattern[index]
        left -= length - done
        if drawing:
            current.append((x1, y1))
    if drawing and len(current) > 1:
        out.append(current)
    return out


class _Painter:
    """Draws items onto an image; a clipped group is drawn on a layer the size of its clip, then composited."""

    def __init__(self, scene: Scene, scale: float) -> None:
        self.k = scale * SUPERSAMPLE
        size = (max(1, int(round(scene.width * self.k))), max(1, int(round(scene.height * self.k))))
        paper = ink.rgba(ink.PAPER["light"])
        assert paper is not None
        self.image = Image.new("RGBA", size, (paper[0], paper[1], paper[2], 255))

    def _xy(self, points: list[Point], origin: tuple[float, float]) -> list[tuple[float, float]]:
        ox, oy = origin
        return [(x * self.k - ox, y * self.k - oy) for x, y in points]

    def _stroke(
        self,
        draw: ImageDraw.ImageDraw,
        parts: list[list[Point]],
        stroke: Stroke,
        closed: bool,
        origin: tuple[float, float],
    ) -> None:
        colour = _rgba(stroke.paint)
        width = max(1, int(round(stroke.width * self.k)))
        for part in parts:
            pts = part + part[:1] if closed else part
            for piece in _dashed(pts, stroke.dash):
                if len(piece) > 1:
                    draw.line(self._xy(piece, origin), fill=colour, width=width, joint="curve")

    def clipped(self, groups: list[Group], target: Image.Image, origin: tuple[float, float]) -> None:
        """Groups sharing one clip rectangle, drawn on one layer the size of the clip and composited once."""
        assert groups[0].clip is not None
        x, y, w, h = (c * self.k for c in groups[0].clip)
        left, top = int(math.floor(x)), int(math.floor(y))
        size = (max(1, int(math.ceil(x + w)) - left), max(1, int(math.ceil(y + h)) - top))
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        for group in groups:
            for inner in group.items:
                self.draw(inner, layer, (left, top))
        target.alpha_composite(layer, dest=(left - int(origin[0]), top - int(origin[1])))

    def draw_all(self, items: list[Item], target: Image.Image, origin: tuple[float, float] = (0.0, 0.0)) -> None:
        pending: list[Group] = []
        for item in [*items, None]:
            if isinstance(item, Group) and item.clip is not None and (not pending or pending[0].clip == item.clip):
                pending.append(item)
                continue
            if pending:
                self.clipped(pending, target, origin)
                pending = []
            if isinstance(item, Group) and item.clip is not None:
                pending.append(item)
            elif item is not None:
                self.draw(item, target, origin)

    def draw(self, item: Item, target: Image.Image, origin: tuple[float, float] = (0.0, 0.0)) -> None:
        if isinstance(item, Group):
            if item.clip is None:
                self.draw_all(item.items, target, origin)
            else:
                self.clipped([item], target, origin)
            return
        draw = ImageDraw.Draw(target, "RGBA")
        if isinstance(item, Path):
            if item.closed and item.fill is not None:
                for part in item.parts:
                    if len(part) > 2:
                        draw.polygon(self._xy(part, origin), fill=_rgba(item.fill))
            if item.stroke is not None:
                self._stroke(draw, item.parts, item.stroke, item.closed, origin)
        elif isinstance(item, Marks):
            areas, lines = markers.shape(item.shape, item.size / 2)
            for cx, cy in item.centres:
                for outline in areas:
                    pts = [(cx + x, cy + y) for x, y in outline]
                    if item.fill is not None:
                        draw.polygon(self._xy(pts, origin), fill=_rgba(item.fill))
                    if item.stroke is not None:
                        self._stroke(draw, [pts], item.stroke, True, origin)
                if item.stroke is not None:
                    self._stroke(
                        draw, [[(cx + x, cy + y) for x, y in line] for line in lines], item.stroke, False, origin
                    )
        elif isinstance(item, Text):
            self._text(item, target, origin)

    def _text(self, item: Text, target: Image.Image, origin: tuple[float, float]) -> None:
        size = item.size * self.k
        font = _font(max(1, int(round(size))), item.bold, item.italic)
        small = _font(max(1, int(round(size * SUP_SCALE))), item.bold, item.italic)
        rises = {"": 0.0, "sup": -0.4 * size, "sub": 0.25 * size}
        pieces = [(t, f, rises[s]) for run, s in item.runs for t, f in _covered(run, small if s else font)]
        total = sum(f.getlength(t) for t, f, _ in pieces)
        pad = int(size)
        canvas = Image.new("RGBA", (int(total) + 2 * pad, int(size * 2) + 2 * pad), (0, 0, 0, 0))
        draw = ImageDraw.Draw(canvas)
        baseline = pad + size * 1.2
        x = float(pad)
        colour = _rgba(item.paint)
        for text, f, rise in pieces:
            draw.text((x, baseline + rise), text, font=f, fill=colour, anchor="ls")
            x += f.getlength(text)
        shift = {"alphabetic": 0.0, "middle": MIDDLE_TO_BASELINE, "top": 0.78, "bottom": -0.22}[item.baseline] * size
        start = {"start": 0.0, "middle": total / 2, "end": total}[item.anchor]
        ax, ay = pad + start, baseline - shift  # the text's anchor point in its canvas
        if item.angle:
            # Turn the canvas about its centre (growing it to fit) and follow where the anchor went.
            cx, cy = canvas.width / 2, canvas.height / 2
            canvas = canvas.rotate(item.angle, resample=Image.Resampling.BICUBIC, expand=True)
            t = math.radians(item.angle)
            dx, dy = ax - cx, ay - cy
            ax = canvas.width / 2 + dx * math.cos(t) + dy * math.sin(t)
            ay = canvas.height / 2 - dx * math.sin(t) + dy * math.cos(t)
        dest = (int(round(item.x * self.k - origin[0] - ax)), int(round(item.y * self.k - origin[1] - ay)))
        target.paste(canvas, dest, canvas)

    def png(self) -> bytes:
        final = self.image.resize(
            (self.image.width // SUPERSAMPLE, self.image.height // SUPERSAMPLE), Image.Resampling.LANCZOS
        ).convert("RGB")
        out = io.BytesIO()
        # 256 colours hold a figure's few inks and their anti-aliased edges; the file is a third the size.
        final.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, format="PNG")
        return out.getvalue()


def write(scene: Scene, scale: float = 2.0) -> bytes:
    """The PNG of a scene at ``scale`` times its size (2 gives 1280 px for a 640 px figure)."""
    painter = _Painter(scene, scale)
    painter.draw_all(scene.items, painter.image)
    return painter.png()
