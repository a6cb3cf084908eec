"""Declarative figures for author experiments: a validated spec, drawn by trusted code.

Authors cannot ship plotting code (it would run in the web process), so they
describe the figure instead, as JSON or YAML:

    title: Loss against steps
    x_label: step
    y_label: loss
    x_scale: linear          # or log
    y_scale: log
    grid: true
    spread_label: ±1 s.e. over 5 seeds   # what the spreads are, for the key
    series:
      - {x: steps, y: train_loss, label: train, kind: line, spread: train_loss_sem}
      - {x: steps, y: theory_loss, label: train, kind: theory}

``x`` and ``y`` name arrays in the run's result, as dotted paths into nested
objects (``curves.train``). ``spread`` (optional, not on theory series) names
the half-width of each point's uncertainty, e.g. a standard error over seeds:
a band around a line, error bars around scatter points. Series that share a
label share one legend entry (a theory line over its measurement); the key
above the plot says what lines, markers and bands mean. The figure is drawn
in the house style of compute.plotting (docs/figure-style.md). Every label is
plain text that Bokeh renders as text, never as HTML; write symbols as
Unicode (α, η, ², ½). Plain Python: no Django here.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MAX_SPEC_BYTES = 16 * 1024
_PATH = r"^[A-Za-z][A-Za-z0-9_]{0,63}(\.[A-Za-z][A-Za-z0-9_]{0,63}){0,3}$"


class FigureSpecError(ValueError):
    """A spec that cannot be used, with one message per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


class Series(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    x: str = Field(pattern=_PATH, description="Dotted path of the x array in the result.")
    y: str = Field(pattern=_PATH, description="Dotted path of the y array in the result.")
    label: str = Field(min_length=1, max_length=80)
    kind: Literal["line", "scatter", "theory"] = "line"
    spread: str | None = Field(
        default=None,
        pattern=_PATH,
        description="Dotted path of the half-width of each point's uncertainty (e.g. a standard error).",
    )

    @model_validator(mode="after")
    def _measured_spread(self) -> Series:
        if self.spread is not None and self.kind == "theory":
            raise ValueError("a theory series has no spread; give it to the measured series")
        return self


class FigureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(default="", max_length=200)
    x_label: str = Field(default="x", max_length=80)
    y_label: str = Field(default="y", max_length=80)
    x_scale: Literal["linear", "log"] = "linear"
    y_scale: Literal["linear", "log"] = "linear"
    grid: bool = True
    spread_label: str = Field(
        default="uncertainty",
        max_length=60,
        description="What the series' spreads are, as the key shows it (e.g. ±1 s.e. over 5 seeds).",
    )
    series: list[Series] = Field(min_length=1, max_length=12)

    @field_validator("title", "x_label", "y_label", "spread_label")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


def parse_spec(raw: Any) -> FigureSpec:
    """Validate a spec given as a dict or as JSON/YAML text; raises FigureSpecError naming each problem."""
    if isinstance(raw, str):
        if len(raw.encode()) > MAX_SPEC_BYTES:
            raise FigureSpecError([f"The figure spec is over {MAX_SPEC_BYTES // 1024} KiB."])
        if not raw.strip():
            raise FigureSpecError(["Describe the figure: at least one series with x and y."])
        try:
            raw = json.loads(raw)
        except ValueError:
            try:
                # safe_load builds only plain data: no Python objects from tags.
                raw = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise FigureSpecError([f"The figure spec is neither JSON nor YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise FigureSpecError(["The figure spec must be an object (title, labels, series, ...)."])
    try:
        return FigureSpec.model_validate(raw)
    except ValidationError as exc:
        messages = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "spec"
            messages.append(f"{where}: {err['msg']}")
        raise FigureSpecError(messages) from None


def _lookup(result: dict[str, Any], path: str) -> Any:
    value: Any = result
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise FigureSpecError([f"The result has no {path!r}."])
        value = value[part]
    return value


def _numbers(result: dict[str, Any], path: str) -> list[float]:
    value = _lookup(result, path)
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        raise FigureSpecError([f"{path!r} in the result is not a flat list of finite numbers."])
    return [float(v) for v in value]


def series_data(
    spec: FigureSpec, result: dict[str, Any]
) -> list[tuple[Series, list[float], list[float], list[float] | None]]:
    """Each series with its x, y and spread arrays (None without a spread), checked against the result."""
    out = []
    problems = []
    for s in spec.series:
        try:
            x, y = _numbers(result, s.x), _numbers(result, s.y)
            spread = _numbers(result, s.spread) if s.spread is not None else None
        except FigureSpecError as exc:
            problems += exc.messages
            continue
        if len(x) != len(y):
            problems.append(f"series {s.label!r}: x has {len(x)} values and y {len(y)}.")
            continue
        if spread is not None and len(spread) != len(y):
            problems.append(f"series {s.label!r}: spread has {len(spread)} values and y {len(y)}.")
            continue
        out.append((s, x, y, spread))
    if problems:
        raise FigureSpecError(problems)
    return out


def build_figure(spec: FigureSpec | dict[str, Any], result: dict[str, Any]) -> Any:
    """The Bokeh figure the spec describes, drawn from ``result``; raises FigureSpecError when they disagree."""
    from compute.plotting import add_measured, add_theory, finish, new_figure

    if not isinstance(spec, FigureSpec):
        spec = parse_spec(spec)
    data = series_data(spec, result)
    fig = new_figure(spec.title, spec.x_label, spec.y_label, x_log=spec.x_scale == "log", y_log=spec.y_scale == "log")
    # One colour and marker per label, so that a theory line and its measurement match.
    index = {label: i for i, label in enumerate(dict.fromkeys(s.label for s, _, _, _ in data))}
    for s, x, y, spread in data:
        if spec.x_scale == "log" or spec.y_scale == "log":
            # Non-positive values cannot be drawn on a log axis; drop them rather than break the plot.
            keep = [
                i
                for i, (a, b) in enumerate(zip(x, y, strict=True))
                if (spec.x_scale != "log" or a > 0) and (spec.y_scale != "log" or b > 0)
            ]
            x, y = [x[i] for i in keep], [y[i] for i in keep]
            spread = [spread[i] for i in keep] if spread is not None else None
        if s.kind == "theory":
            add_theory(fig, x, y, label=s.label, index=index[s.label])
        else:
            add_measured(fig, x, y, label=s.label, index=index[s.label], line=s.kind == "line", spread=spread)
    if not spec.grid:
        fig.xgrid.visible = False
        fig.ygrid.visible = False
    return finish(fig, spread_label=spec.spread_label)


def figure_json(spec: FigureSpec | dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The figure as a Bokeh JSON item, ready for ``Bokeh.embed.embed_item``."""
    from bokeh.embed import json_item

    return dict(json_item(build_figure(spec, result)))
