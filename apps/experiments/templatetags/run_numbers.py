"""``|readable``: a measured number as a reader wants it (four significant digits, no float noise)."""

from __future__ import annotations

import math

from django import template

register = template.Library()

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@register.filter
def readable(value: object) -> str:
    """0.0123456789 -> 0.01235, 2.7e-11 -> 2.7 × 10⁻¹¹, True -> true, [..] -> its first values, None -> missing."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"  # as the claims state them
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")  # a thin space groups thousands
    if isinstance(value, float):
        if math.isnan(value):
            return "not a number"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        text = f"{value:.4g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            return f"{mantissa.replace('-', '−')} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
        return text.replace("-", "−")
    if isinstance(value, (list, tuple)):
        shown = ", ".join(readable(v) for v in value[:4])
        return f"[{shown}{', …' if len(value) > 4 else ''}] ({len(value)} values)" if len(value) > 4 else f"[{shown}]"
    return str(value)
