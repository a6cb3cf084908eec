"""Text in figure images: font sizes, an estimate of widths, and labels written in a little TeX.

Widths are estimated from character classes of a Helvetica-like sans-serif
rather than measured with a font file, so that an image is the same bytes on
every machine; they decide margins and legend boxes, where a few per cent do
not show.
"""

from __future__ import annotations

import re
from typing import Any

from compute.figure_svg.scene import Shift

# The browser's font stack in the SVG; the PNG uses the first of PNG_FONTS found on the machine.
FONT_FAMILY = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
PNG_FONTS = (
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
# Height of a line of text in font sizes: as laid out (legend rows), and as BokehJS measures a label's
# extent (ascent and descent) when it sizes axes and titles; where the alphabetic baseline sits below its middle.
LINE = 1.2
HEIGHT = 0.96
MIDDLE_TO_BASELINE = 0.35
SUP_SCALE = 0.75

_WIDTHS = [
    (" .,:;'|!ijlI", 0.27),
    ('ftr()[]{}-/"\\`', 0.34),
    ("abcdeghknopqsuvxyz0123456789$?_#*^~", 0.55),
    ("ABCDEFGHKNPRSTUVXYZ&", 0.67),
    ("mwMOQGW%@", 0.86),
    ("=+<>−×±≤≥", 0.58),
]
_WIDTH_OF = {c: w for chars, w in _WIDTHS for c in chars}


def px(value: Any, default: float = 13.0) -> float:
    """A Bokeh font size ("13px", "10pt", "1.2em", a number) in pixels."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return default
    match = re.match(r"^\s*([0-9.]+)\s*(px|pt|em|rem)?\s*$", value)
    if not match:
        return default
    number, unit = float(match.group(1)), match.group(2) or "px"
    return number * {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0}[unit]


def width(runs: list[tuple[str, Shift]], size: float, *, bold: bool = False) -> float:
    """The estimated width of text runs at a font size, in pixels."""
    total = 0.0
    for text, shift in runs:
        scale = SUP_SCALE if shift else 1.0
        total += sum(_WIDTH_OF.get(c, 0.6 if ord(c) > 127 else 0.55) for c in text) * size * scale
    return total * (1.07 if bold else 1.0)


_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
_SYMBOLS = {
    "times": "×", "cdot": "·", "pm": "±", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "approx": "≈",
    "propto": "∝", "infty": "∞", "sim": "∼", "to": "→", "rightarrow": "→", "partial": "∂", "nabla": "∇",
    "sum": "∑", "ell": "ℓ", "log": "log", "ln": "ln", "exp": "exp", "min": "min", "max": "max", ",": " ",
    ";": " ", "quad": "  ", "|": "‖", "lVert": "‖", "rVert": "‖", "langle": "⟨", "rangle": "⟩",
}  # fmt: skip
_COMMAND = re.compile(r"\\([A-Za-z]+|[,;|])")


def _tex_group(text: str, i: int) -> tuple[str, int]:
    """The argument of ^ or _ starting at i: a {braced group} or one character; returns it and the next index."""
    if i < len(text) and text[i] == "{":
        depth, j = 1, i + 1
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        return text[i + 1 : j - 1], j
    if i < len(text) and text[i] == "\\":
        match = _COMMAND.match(text, i)
        if match:
            return match.group(0), match.end()
    return text[i : i + 1], i + 1


def _tex_symbols(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return _GREEK.get(name) or _SYMBOLS.get(name) or ""

    text = re.sub(r"\\(?:frac)\{([^{}]*)\}\{([^{}]*)\}", r"\1/\2", text)
    text = re.sub(r"\\(?:mathrm|text|mathit|mathbf|operatorname)\{([^{}]*)\}", r"\1", text)
    return _COMMAND.sub(replace, text).replace("{", "").replace("}", "")


# Unicode super- and subscript characters (N⁻¹, η₀, log₂) drawn as raised or lowered ordinary characters: the
# PNG's fonts lack most of them (Liberation Sans has only ¹²³), and a run keeps the two images alike.
_RAISED = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+−=()ni", strict=True))
_LOWERED = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ᵢⱼₖₙ", "0123456789+−=()ijkn", strict=True))


def _scripted(text: str) -> list[tuple[str, Shift]]:
    """Plain text as runs, each stretch of super- or subscript characters raised or lowered."""
    out: list[tuple[str, Shift]] = []
    for c in text:
        shift: Shift = "sup" if c in _RAISED else "sub" if c in _LOWERED else ""
        c = _RAISED.get(c) or _LOWERED.get(c) or c
        if out and out[-1][1] == shift:
            out[-1] = (out[-1][0] + c, shift)
        else:
            out.append((c, shift))
    return out


def runs(label: Any) -> list[tuple[str, Shift]]:
    """A Bokeh label as text runs: plain text as is, TeX between $$ … $$ (or a TeX model) as Unicode with raised
    and lowered runs for ^ and _. Minus signs in numbers become U+2212, as Bokeh draws them."""
    if label is None:
        return []
    text = getattr(label, "text", label)  # bokeh.models.TeX and friends carry .text
    text = str(text)
    tex = hasattr(label, "text") and type(label).__name__ in ("TeX", "MathML")
    match = re.fullmatch(r"\s*\$\$(.*)\$\$\s*", text, re.S) or re.fullmatch(r"\s*\\\[(.*)\\\]\s*", text, re.S)
    if match:
        text, tex = match.group(1), True
    if not tex:
        return _scripted(text) or [(text, "")]
    out: list[tuple[str, Shift]] = []
    plain = ""
    i = 0
    while i < len(text):
        c = text[i]
        if c in "^_":
            group, i = _tex_group(text, i + 1)
            if plain:
                out.append((_tex_symbols(plain), ""))
                plain = ""
            out.append((_tex_symbols(group), "sup" if c == "^" else "sub"))
            continue
        plain += c
        i += 1
    if plain:
        out.append((_tex_symbols(plain), ""))
    return [(t, s) for t, s in out if t]


def minus(text: str) -> str:
    return text.replace("-", "−")
