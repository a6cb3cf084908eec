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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from compute.figure_svg import png, svg
from compute.figure_svg.plot import scene
from compute.figure_svg.svg import for_theme

__all__ = ["FigureImage", "for_theme", "render", "render_svg", "style_version"]

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
    here = Path(__file__).resolve().parent
    sources = sorted(here.glob("*.py")) + [here.parent / "plotting.py", here.parent / "figure_spec.py"]
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def render_svg(figure: Any) -> str:
    """The SVG of a Bokeh figure or layout, with inks that follow the reader's light or dark mode."""
    return svg.write(scene(figure))


def render(figure: Any, *, png_scale: float = 2.0) -> FigureImage:
    """Both images of a Bokeh figure or layout: SVG (CSS pixels) and PNG (``png_scale`` times larger)."""
    drawn = scene(figure)
    return FigureImage(
        svg=svg.write(drawn),
        png=png.write(drawn, png_scale),
        width=int(round(drawn.width)),
        height=int(round(drawn.height)),
        title=drawn.title,
        description=drawn.description,
    )
