"""Figure directives: fenced ```figure blocks whose body is YAML.

Parsing only checks shape (types, sizes). Whether the experiment exists and
the parameters are in range is the figures engineer's resolver's job, since
that needs the experiment registry.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_GRID_KEYS = 3
MAX_GRID_VALUES = 8
_ALLOWED_KEYS = {"experiment", "preset", "params", "grid", "caption", "label"}
# `label: decay` (or `label: fig:decay`) lets the text say @fig:decay.
LABEL_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,60}$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_Scalar = (str, int, float, bool)


class FigureError(Exception):
    """Raised by a figure resolver when a directive cannot be shown; the message is shown to the author."""


class FigureRefused(FigureError):
    """The figure's runs were refused to the person who asked for them (trust or quota).

    Callers that must not save half of a change (a forum post, a submitted
    draft) look for these in ``Rendered.refusals`` and refuse the whole change.
    """


@dataclass(frozen=True)
class FigureDirective:
    """One ```figure block, in document order (``index`` from 0, ``line`` 1-based in the source)."""

    experiment: str
    preset: str
    params: dict[str, Any]
    grid: dict[str, list[Any]]
    caption: str
    index: int
    line: int
    # The caption rendered as inline HTML (math, emphasis), already sanitised,
    # after the figure's number ("Figure 2.") where it has a caption or a label.
    caption_html: str = field(default="", compare=False)
    # The name @fig:<label> refers to, without the "fig:" prefix; "" when none.
    label: str = ""
    # 1, 2, ... among the page's figures, in document order.
    number: int = field(default=0, compare=False)


class DirectiveError(ValueError):
    pass


def _check_value(where: str, value: Any) -> None:
    if value is None or isinstance(value, _Scalar):
        return
    if isinstance(value, list) and all(v is None or isinstance(v, _Scalar) for v in value) and len(value) <= 64:
        return
    raise DirectiveError(f"{where} must be a number, string, boolean or a short list of them")


def parse_directive(body: str, *, index: int, line: int) -> FigureDirective:
    """Parse the YAML body of one directive; raise DirectiveError with a readable reason."""
    try:
        data = yaml.safe_load(body) if body.strip() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {line + 1 + mark.line} of the page)" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DirectiveError(f"YAML could not be read{where}: {problem}") from None
    if not isinstance(data, dict):
        raise DirectiveError("the body must be YAML with at least 'experiment: <name>'")
    unknown = sorted(str(k) for k in data if k not in _ALLOWED_KEYS)
    if unknown:
        raise DirectiveError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_ALLOWED_KEYS))}")
    experiment = data.get("experiment")
    if not isinstance(experiment, str) or not _NAME_RE.match(experiment):
        raise DirectiveError("'experiment' must be the name of an experiment, like deep_linear")
    preset = data.get("preset", "smoke")
    if preset is None:
        preset = "smoke"
    if not isinstance(preset, str) or not _NAME_RE.match(preset):
        raise DirectiveError("'preset' must be a preset name, like smoke")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise DirectiveError("'params' must be a mapping of parameter names to values")
    for key, value in params.items():
        if not isinstance(key, str) or not _NAME_RE.match(key):
            raise DirectiveError(f"parameter name {key!r} is not valid")
        _check_value(f"params.{key}", value)
    grid = data.get("grid") or {}
    if not isinstance(grid, dict):
        raise DirectiveError("'grid' must be a mapping of parameter names to lists of values")
    if len(grid) > MAX_GRID_KEYS:
        raise DirectiveError(f"'grid' may vary at most {MAX_GRID_KEYS} parameters")
    for key, values in grid.items():
        if not isinstance(key, str) or not _NAME_RE.match(key):
            raise DirectiveError(f"grid parameter name {key!r} is not valid")
        if not isinstance(values, list) or not values:
            raise DirectiveError(f"grid.{key} must be a non-empty list")
        if len(values) > MAX_GRID_VALUES:
            raise DirectiveError(f"grid.{key} has {len(values)} values; at most {MAX_GRID_VALUES} are allowed")
        for value in values:
            if not (value is None or isinstance(value, _Scalar)):
                raise DirectiveError(f"grid.{key} values must be numbers, strings or booleans")
        if key in params:
            raise DirectiveError(f"{key!r} appears in both params and grid")
    caption = data.get("caption", "")
    if caption is None:
        caption = ""
    if not isinstance(caption, str):
        raise DirectiveError("'caption' must be text")
    label = data.get("label", "")
    label = "" if label is None else str(label).removeprefix("fig:")
    if label and not LABEL_RE.match(label):
        raise DirectiveError("'label' must be letters, digits, '-' and '_', like decay-curves")
    return FigureDirective(
        experiment=experiment,
        preset=preset,
        params=dict(params),
        grid={k: list(v) for k, v in grid.items()},
        caption=caption.strip(),
        index=index,
        line=line,
        label=label,
    )


def error_box(message: str) -> str:
    """An inline box telling the author what is wrong with a figure."""
    return (
        '<div class="render-error figure-error" role="note">'
        f"<strong>Figure error:</strong> {html.escape(message)}</div>"
    )


def static_figure(directive: FigureDirective) -> str:
    """What a directive shows when no resolver is given (previews, feeds)."""
    caption = directive.caption_html or html.escape(directive.caption)
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (
        '<figure class="lm-figure lm-figure-static">'
        f'<div class="lm-figure-pending">Figure: {html.escape(directive.experiment)} '
        "(will be drawn when the experiment runs)</div>"
        f"{figcaption}</figure>"
    )
