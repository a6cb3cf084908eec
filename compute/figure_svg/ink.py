"""Colours: Bokeh's colour values read as RGBA, and neutral inks mapped to the house theme's tokens.

Data colours are the same in light and dark mode; inks (text, axes, grid,
reference rules) are not: black on a dark page is invisible. The house figures
are built in light mode with inks that are exactly the light values of
compute.plotting.THEME (docs/figure-style.md); each becomes its token, and the
image switches tokens with the page's mode. Any other neutral colour that is
not a series colour of compute.plotting.PALETTE (Bokeh's default inks, an
author's grey) becomes the token nearest in lightness, so it stays readable on
a dark page too. The site's figures.js applies the same rule to the
interactive figure, so the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from compute.figure_svg.scene import Paint

RGBA = tuple[int, int, int, float]

# A colour is neutral (ink, not data) when its channels differ by at most this much (of 255).
NEUTRAL_CHROMA = 24
# The page behind a figure, for inks near white (a legend's background): the theme's own when it
# names one, else these. A PNG has no page behind it and is painted on the light one.
PAPER = {"light": "#ffffff", "dark": "#16161a"}

_HEX = re.compile(r"^#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_FUNC = re.compile(r"^rgba?\(\s*([^)]*)\)$")


def rgba(value: Any) -> RGBA | None:
    """A Bokeh colour (name, #hex, rgb()/rgba() text, tuple, packed RGBA integer) as (r, g, b, alpha); None if none."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # Bokeh packs colours as 0xRRGGBBAA
        return (value >> 24) & 255, (value >> 16) & 255, (value >> 8) & 255, (value & 255) / 255
    if isinstance(value, (tuple, list)) and len(value) in (3, 4):
        r, g, b = (int(round(float(c))) for c in value[:3])
        return r, g, b, float(value[3]) if len(value) == 4 else 1.0
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in ("", "none", "transparent"):
        return None
    match = _HEX.match(text)
    if match:
        digits = match.group(1)
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha
    match = _FUNC.match(text)
    if match:
        parts = [p.strip() for p in match.group(1).replace("/", ",").split(",") if p.strip()]
        try:
            channels = [round(float(p[:-1]) * 2.55) if p.endswith("%") else round(float(p)) for p in parts[:3]]
            alpha = float(parts[3].rstrip("%")) / (100 if parts[3].endswith("%") else 1) if len(parts) > 3 else 1.0
        except (ValueError, IndexError):
            return None
        if len(channels) == 3:
            return channels[0], channels[1], channels[2], alpha
        return None
    return _named().get(text)


@lru_cache(maxsize=1)
def _named() -> dict[str, RGBA]:
    from bokeh.colors import named
    from bokeh.core.enums import NamedColor

    out: dict[str, RGBA] = {}
    for name in NamedColor:
        name = str(name)
        colour = getattr(named, name)
        out[name] = (colour.r, colour.g, colour.b, 1.0)
    return out


def _light(value: str) -> float:
    parsed = rgba(value)
    return _lightness(*parsed[:3]) if parsed is not None else 0.0


def hex_of(r: int, g: int, b: int) -> str:
    return f"#{r:02x}{g:02x}{b:02x}"


def _lightness(r: int, g: int, b: int) -> float:
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@lru_cache(maxsize=1)
def tokens() -> dict[str, dict[str, str]]:
    """The neutral inks of the house theme, {token: {"light": hex, "dark": hex}}, with a paper token for white."""
    from compute.plotting import THEME

    light, dark = THEME.get("light", {}), THEME.get("dark", {})
    out: dict[str, dict[str, str]] = {}
    for name, colour in light.items():
        parsed, other = rgba(colour), rgba(dark.get(name))
        if parsed is None or other is None or not _neutral(parsed):
            continue
        out[name] = {"light": hex_of(*parsed[:3]), "dark": hex_of(*other[:3])}
    if not any(_light(t["light"]) > 250 for t in out.values()):
        out["paper"] = dict(PAPER)
    return out


def _neutral(colour: RGBA) -> bool:
    r, g, b, _ = colour
    return max(r, g, b) - min(r, g, b) <= NEUTRAL_CHROMA


@lru_cache(maxsize=1)
def palette() -> frozenset[str]:
    """The series colours of the house theme (lower-case hex), which never change with the mode."""
    import compute.plotting as plotting

    return frozenset(str(c).lower() for c in getattr(plotting, "PALETTE", ()))


def token_for(colour: RGBA) -> str | None:
    """The house token a colour stands for: the token whose light value it is, else for a neutral colour that is
    not a series colour the token nearest in lightness; None for a data colour."""
    hexed = hex_of(*colour[:3])
    for name, pair in tokens().items():
        if pair["light"] == hexed:
            return name
    if not _neutral(colour) or hexed in palette():
        return None
    level = _lightness(*colour[:3])
    best, distance = None, 1e9
    for name, pair in tokens().items():
        ink = rgba(pair["light"])
        assert ink is not None
        gap = abs(_lightness(*ink[:3]) - level)
        if gap < distance:
            best, distance = name, gap
    return best


def paint(colour: Any, alpha: float | None = 1.0) -> Paint | None:
    """The Paint of a Bokeh colour and alpha, or None when nothing would be drawn."""
    parsed = rgba(colour)
    if parsed is None:
        return None
    total = parsed[3] * (1.0 if alpha is None else float(alpha))
    if total <= 0:
        return None
    token = token_for(parsed)
    shown = tokens()[token]["light"] if token else hex_of(*parsed[:3])
    return Paint(colour=shown, alpha=round(min(1.0, total), 3), token=token)


def is_paper(p: Paint | None) -> bool:
    """Whether a paint is the page itself (a white plot background), which an SVG leaves transparent."""
    return p is not None and p.token is not None and _light(p.colour) > 250


def resolve(p: Paint, mode: str) -> str:
    """The hex colour of a paint in light or dark mode."""
    if p.token is None:
        return p.colour
    return tokens()[p.token][mode]


def dash_pattern(value: Any) -> tuple[float, ...]:
    """Bokeh's line_dash (a name, "4 2" text or a list) as an SVG dash array; () for a solid line."""
    named = {
        "solid": (),
        "dashed": (6.0,),
        "dotted": (2.0, 4.0),
        "dotdash": (2.0, 4.0, 6.0, 4.0),
        "dashdot": (6.0, 4.0, 2.0, 4.0),
    }
    if value is None:
        return ()
    if isinstance(value, str):
        if value in named:
            return named[value]
        try:
            return tuple(float(v) for v in value.split())
        except ValueError:
            return ()
    if isinstance(value, Sequence):
        return tuple(float(v) for v in value)
    return ()
