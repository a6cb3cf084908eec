"""What a figure image is made of: paths, markers and text in pixel coordinates (y grows downwards).

The Bokeh models are read once into a scene; the SVG and PNG writers only draw
scenes, so the two images agree with each other by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Point = tuple[float, float]
Anchor = Literal["start", "middle", "end"]
Baseline = Literal["alphabetic", "middle", "top", "bottom"]
# A run of text and where it sits: normal, raised (superscript) or lowered (subscript).
Shift = Literal["", "sup", "sub"]


@dataclass(frozen=True)
class Paint:
    """A colour with its opacity; ``token`` names the house ink it stands for, which follows light and dark mode."""

    colour: str
    alpha: float = 1.0
    token: str | None = None


@dataclass(frozen=True)
class Stroke:
    paint: Paint
    width: float = 1.0
    dash: tuple[float, ...] = ()
    cap: Literal["butt", "round", "square"] = "butt"
    join: Literal["miter", "round", "bevel"] = "miter"


@dataclass
class Path:
    """Polylines (``closed``: polygons) sharing one stroke and fill; each part is drawn separately."""

    parts: list[list[Point]]
    stroke: Stroke | None = None
    fill: Paint | None = None
    closed: bool = False


@dataclass
class Marks:
    """The same marker shape drawn at many points (``size`` is its diameter in pixels)."""

    shape: str
    size: float
    centres: list[Point]
    stroke: Stroke | None = None
    fill: Paint | None = None


@dataclass
class Text:
    x: float
    y: float
    runs: list[tuple[str, Shift]]
    size: float
    paint: Paint
    anchor: Anchor = "start"
    baseline: Baseline = "alphabetic"
    angle: float = 0.0  # degrees, counter-clockwise as read
    bold: bool = False
    italic: bool = False

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.runs)


@dataclass
class Group:
    """Items drawn inside a clip rectangle (x, y, width, height), e.g. the data inside a plot's frame."""

    items: list[Item]
    clip: tuple[float, float, float, float] | None = None


Item = Path | Marks | Text | Group


@dataclass
class Scene:
    width: float
    height: float
    items: list[Item] = field(default_factory=list)
    # What the figure shows, in words: the image's accessible name and description.
    title: str = ""
    description: str = ""
