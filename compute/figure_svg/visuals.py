"""Reading a Bokeh model's properties: data specs (a column, or one value for all) and visual groups."""

from __future__ import annotations

import logging
import math
from typing import Any

from bokeh.core.property.vectorization import Expr, Field, Unspecified, Value

from compute.figure_svg import ink
from compute.figure_svg.scene import Paint, Stroke

log = logging.getLogger(__name__)

Data = dict[str, Any]


class Props:
    """A model's property values (data specs as Field/Value), read once."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.values: dict[str, Any] = model.properties_with_values(include_defaults=True)

    def raw(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name, default)
        if isinstance(value, Value):
            return value.value
        if isinstance(value, (Field, Expr)):
            return default
        return value

    def vector(self, name: str, data: Data, n: int, default: Any = None) -> list[Any]:
        """The property for each of n data points: its column, or its one value repeated."""
        value = self.values.get(name, default)
        if isinstance(value, Field):
            column = data.get(value.field)
            if column is None:
                log.warning(
                    "figure image: %s.%s names a missing column %r", type(self.model).__name__, name, value.field
                )
                return [default] * n
            if value.transform is not Unspecified:
                log.warning("figure image: the transform of %s.%s is not applied", type(self.model).__name__, name)
            items = column.tolist() if hasattr(column, "tolist") else list(column)
            return (items + [default] * n)[:n]
        if isinstance(value, Expr):
            log.warning("figure image: the expression of %s.%s is not evaluated", type(self.model).__name__, name)
            return [default] * n
        if isinstance(value, Value):
            value = value.value
        return [value] * n


def number(value: Any) -> float:
    """A data value as a float; NaN for anything that is not a finite number."""
    if value is None or isinstance(value, (bool, str)):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def numbers(values: Any) -> list[float]:
    if values is None:
        return []
    items = values.tolist() if hasattr(values, "tolist") else values
    if not isinstance(items, (list, tuple)):
        return [number(items)]
    return [number(v) for v in items]


def strokes(props: Props, data: Data, n: int, prefix: str = "line") -> list[Stroke | None]:
    colours = props.vector(f"{prefix}_color", data, n)
    alphas = props.vector(f"{prefix}_alpha", data, n, 1.0)
    widths = props.vector(f"{prefix}_width", data, n, 1.0)
    dashes = props.vector(f"{prefix}_dash", data, n, [])
    caps = props.vector(f"{prefix}_cap", data, n, "butt")
    joins = props.vector(f"{prefix}_join", data, n, "bevel")
    out: list[Stroke | None] = []
    cache: dict[tuple[Any, ...], Stroke | None] = {}
    for i in range(n):
        key = (str(colours[i]), alphas[i], widths[i], str(dashes[i]), caps[i], joins[i])
        if key not in cache:
            p = ink.paint(colours[i], alphas[i])
            w = number(widths[i])
            cache[key] = (
                None
                if p is None or not w or w <= 0
                else Stroke(
                    paint=p,
                    width=w,
                    dash=ink.dash_pattern(dashes[i]),
                    cap=caps[i] if caps[i] in ("butt", "round", "square") else "butt",
                    join=joins[i] if joins[i] in ("miter", "round", "bevel") else "bevel",
                )
            )
        out.append(cache[key])
    return out


def stroke(props: Props, prefix: str = "line") -> Stroke | None:
    return strokes(props, {}, 1, prefix)[0]


def fills(props: Props, data: Data, n: int, prefix: str = "fill") -> list[Paint | None]:
    colours = props.vector(f"{prefix}_color", data, n)
    alphas = props.vector(f"{prefix}_alpha", data, n, 1.0)
    if props.raw("hatch_pattern") not in (None, "", " ", "blank") and prefix == "fill":
        log.warning("figure image: hatch patterns of %s are not drawn", type(props.model).__name__)
    return [ink.paint(c, a) for c, a in zip(colours, alphas, strict=True)]


def fill(props: Props, prefix: str = "fill") -> Paint | None:
    return fills(props, {}, 1, prefix)[0]


def text_paint(props: Props, prefix: str = "text") -> Paint | None:
    return ink.paint(props.raw(f"{prefix}_color"), props.raw(f"{prefix}_alpha", 1.0))
