"""``|readable``: a measured number as a reader wants it (four significant digits, no float noise)."""

from __future__ import annotations

import math

from django import template

register = template.Library()


@register.filter
def readable(value: object) -> str:
    """0.0123456789 -> 0.01235, 123456.7 -> 1.235e+05, True -> yes, [..] -> its first values, None -> missing."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
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
            return f"{mantissa} × 10^{int(exponent)}".replace("-", "−")
        return text.replace("-", "−")
    if isinstance(value, (list, tuple)):
        shown = ", ".join(readable(v) for v in value[:4])
        return f"[{shown}{', …' if len(value) > 4 else ''}] ({len(value)} values)" if len(value) > 4 else f"[{shown}]"
    return str(value)
