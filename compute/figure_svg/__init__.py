"""Static images of Bokeh figures: a small SVG for pages, feeds and print, and a PNG for social previews.

The worker renders them when a run finishes, from the same Bokeh figure an
experiment's builder makes for the interactive plot (or compute.figure_spec
makes for an author's run), so the image a reader sees first is the figure
that replaces it. We read the Bokeh models (layouts, ranges and scales,
axes, grids, titles, glyph renderers, annotations and legends) and draw them
ourselves; nothing here needs a browser. Plain Python: no Django.

    image = render(figure)          # FigureImage(svg, png, width, height, title, description)
    for_theme(image.svg, "dark")    # the same SVG with its inks pinned to dark mode

Neutral inks (text, axes, grid, grey reference lines) are the house tokens of
compute.plotting.THEME and follow the page's light or dark mode; data colours
do not change. A glyph or annotation type we do not draw is skipped with a
logged warning, never an error.
"""

from __future__ import annotations

import hashlib
import pathlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from compute.figure_svg import ink, png, svg
from compute.figure_svg.plot import scene
from compute.figure_svg.scene import Path, Scene, Stroke, Text
from compute.figure_svg.svg import for_theme

__all__ = ["FigureImage", "for_theme", "message", "render", "render_svg", "style_version"]

# Bump when the drawing changes in a way the source hash below would not see.
IMAGE_VERSION = "1"


@dataclass(frozen=True)
class FigureImage:
    svg: str
    png: bytes
    width: int
    height: int
    # The figure in words: its title(s) for an accessible name, axes and series for a longer description.
    title: str
    description: str


@lru_cache(maxsize=1)
def style_version() -> str:
    """A short hash of everything that decides how a stored image looks: this package and the house theme.

    Images made under another version are stale (the theme or the drawing changed) and are drawn again.
    """
    digest = hashlib.sha256(IMAGE_VERSION.encode())
    here = pathlib.Path(__file__).resolve().parent
    plotting = here.parent / "plotting"  # a module or a package
    sources = [
        *sorted(here.glob("*.py")),
        *[p for p in (plotting.with_suffix(".py"), here.parent / "figure_spec.py") if p.exists()],
        *sorted(plotting.glob("*.py")),
    ]
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def render_svg(figure: Any) -> str:
    """The SVG of a Bokeh figure or layout, with inks that follow the reader's light or dark mode."""
    return svg.write(scene(figure))


def render(figure: Any, *, with_png: bool = True, png_scale: float = 2.0) -> FigureImage:
    """The images of a Bokeh figure or layout: SVG (CSS pixels) and, ``with_png``, a PNG ``png_scale`` times larger
    (b"" without; the PNG takes ten times as long as the SVG)."""
    drawn = scene(figure)
    return FigureImage(
        svg=svg.write(drawn),
        png=png.write(drawn, png_scale) if with_png else b"",
        width=int(round(drawn.width)),
        height=int(round(drawn.height)),
        title=drawn.title,
        description=drawn.description,
    )


def message(text: str, width: int = 640, height: int = 400) -> str:
    """An SVG of the figure's size that says something instead of the figure ("Computing…"), in muted ink."""
    muted, grid = ink.paint("#5b5b60"), ink.paint("#e8e8ed")
    assert muted is not None and grid is not None
    box = [(0.5, 0.5), (width - 0.5, 0.5), (width - 0.5, height - 0.5), (0.5, height - 0.5)]
    drawn = Scene(
        width=width,
        height=height,
        items=[
            Path(parts=[box], stroke=Stroke(paint=grid, dash=(6.0, 4.0)), closed=True),
            Text(width / 2, height / 2, [(text, "")], 15.0, muted, anchor="middle", baseline="middle"),
        ],
        title=text,
    )
    return svg.write(drawn)
