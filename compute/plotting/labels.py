"""Human labels for figures: config field titles and numbers written with real symbols."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel


def field_title(config: type[BaseModel], name: str) -> str:
    """The human label of a configuration field: its pydantic title (with symbols and units)."""
    info = config.model_fields[name]
    if not info.title:
        raise ValueError(f"{config.__module__}.{config.__name__}.{name} has no title to label a figure with")
    return info.title


def number(value: float) -> str:
    """A number as a label shows it: ``0.001``, ``1e-08``, ``256``, with a true minus sign."""
    text = f"{value:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = int(exponent)
        if mantissa == "1":
            return "10" + _superscript(power)
        return f"{mantissa}×10{_superscript(power)}"
    return text.replace("-", "−")


_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _superscript(power: int) -> str:
    return str(power).translate(_SUPERSCRIPTS)
