"""Figures in articles: figure directives become live Bokeh embeds backed by recorded runs.

The rendering pipeline calls ``figure_resolver`` (settings.FIGURE_RESOLVER) for
each ```figure block, with the requester of the rendering. We validate the
directive against the experiment's typed configuration for the base
parameters and every grid point, find (or, for a requester, request) a run
per grid point, and return placeholder HTML that names those runs by id.
The HTML is cached when a version is published, so it holds nothing that goes
stale: the live state of each run (progress, failure, the figure itself) comes
from ``/experiments/runs/<id>/figure.json`` and is drawn by static/js/figures.js.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from apps.core.rendering import FigureDirective, FigureError, FigureRefused
from apps.core.requesters import Requester
from apps.experiments.executors import executor_for
from apps.experiments.models import ExperimentKind, Run, RunStatus

if TYPE_CHECKING:
    from bokeh.model import Model as BokehModel

    from compute.protocol import Experiment as ReferenceSpec

# A reader switches between grid points with widgets; each point is one run.
MAX_GRID_POINTS = 12
# Rows of the server-rendered table readers without JavaScript get, per series.
TABLE_ROWS = 8


@dataclass
class GridPoint:
    """One combination of grid values, the full parameter overrides it implies, and its run."""

    values: dict[str, Any]
    params: dict[str, Any]
    run: Run | None = None

    @property
    def label(self) -> str:
        return ", ".join(f"{k} = {_text(v)}" for k, v in self.values.items()) or "figure"

    @property
    def choice(self) -> list[str]:
        """The option values of the grid widgets that select this point, in grid-key order."""
        return [_text(v) for v in self.values.values()]


@dataclass
class ResolvedFigure:
    """A validated directive: the experiment it draws and its grid points (with their runs once known)."""

    directive: FigureDirective
    experiment: str
    points: list[GridPoint] = field(default_factory=list)
    # Where "Run it yourself" leads when the experiment has no re-run form (author experiments).
    experiment_url: str = ""
    # The reference experiment a directive names (None for one run's figure on its page).
    spec: ReferenceSpec | None = None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def _describe(errors: dict[str, list[str]], where: str) -> str:
    parts = [f"{where}{name}: {'; '.join(messages)}" for name, messages in errors.items()]
    return " / ".join(parts)


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of grid values, in key order then value order (one empty point without a grid)."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def directive_validate(directive: FigureDirective) -> ResolvedFigure:
    """Check a directive against its experiment's typed config; raise FigureError naming the field."""
    from compute import registry
    from compute.protocol import ConfigError

    try:
        spec = registry.get(directive.experiment)
    except registry.UnknownExperiment:
        known = ", ".join(sorted(registry.all_experiments()))
        raise FigureError(
            f"experiment: there is no experiment named {directive.experiment!r} (known: {known})"
        ) from None
    preset = directive.preset or None
    if preset is not None and preset not in spec.presets:
        raise FigureError(
            f"preset: {spec.name} has no preset {preset!r} (choose from {', '.join(sorted(spec.presets))})"
        )
    fields = set(spec.json_schema().get("properties", {}))
    for key in directive.grid:
        if key not in fields:
            raise FigureError(f"grid.{key}: {spec.name} has no parameter {key!r}")
    combos = grid_points(directive.grid)
    if len(combos) > MAX_GRID_POINTS:
        raise FigureError(f"grid: {len(combos)} combinations; a figure may switch between at most {MAX_GRID_POINTS}")
    try:
        spec.validate(directive.params, preset=preset)
    except ConfigError as exc:
        raise FigureError(_describe(exc.errors, "params.")) from None
    resolved = ResolvedFigure(directive=directive, experiment=spec.name, spec=spec)
    for values in combos:
        params = {**directive.params, **values}
        try:
            spec.validate(params, preset=preset)
        except ConfigError as exc:
            where = ", ".join(f"{k} = {_text(v)}" for k, v in values.items())
            raise FigureError(f"grid point {where}: " + _describe(exc.errors, "grid.")) from None
        resolved.points.append(GridPoint(values=values, params=params))
    return resolved


def _existing_run(spec: ReferenceSpec, params: dict[str, Any], preset: str | None) -> Run | None:
    from apps.experiments.services import run_cache_key
    from compute.runner import code_hash, config_hash

    config = spec.validate(params, preset=preset)
    key = run_cache_key(spec.name, config_hash(config), code_hash(spec))
    return Run.objects.live().originals().filter(cache_key=key).first()


def figure_resolver(directive: FigureDirective, *, requester: Requester | None) -> str:
    """The FIGURE_RESOLVER hook: validate a directive and return its placeholder HTML.

    With a requester, the runs of every grid point are requested on its behalf
    in one request (all or nothing; identical configurations return their
    existing runs). A person is charged: when trust or quota refuses them the
    figure raises FigureRefused naming why. Without a requester (a preview) the
    figure shows the runs that exist and requests none. Raises FigureError
    with a message naming the offending field.
    """
    from apps.experiments.services import RunAsk, runs_request

    resolved = directive_validate(directive)
    spec = resolved.spec
    assert spec is not None
    preset = directive.preset or None
    if requester is None:
        for point in resolved.points:
            point.run = _existing_run(spec, point.params, preset)
        return figure_placeholder(resolved)
    asks = [RunAsk(experiment=spec.name, params=point.params, preset=preset) for point in resolved.points]
    try:
        outcomes = runs_request(requester=requester, asks=asks)
    except PermissionDenied as exc:
        raise FigureRefused(str(exc)) from None
    except ValidationError as exc:
        if "quota" in exc.message_dict:
            raise FigureRefused(" ".join(exc.message_dict["quota"])) from None
        raise FigureError(_describe(exc.message_dict, "")) from None
    for point, (run, _) in zip(resolved.points, outcomes, strict=True):
        point.run = run
    return figure_placeholder(resolved)


def rerun_url(spec_name: str, preset: str | None, params: dict[str, Any]) -> str:
    """The experiment page with its form prefilled with these parameters."""
    query: dict[str, str] = {}
    if preset:
        query["preset"] = preset
    query.update({k: _text(v) for k, v in params.items()})
    base = reverse("experiments:detail", args=[spec_name])
    return f"{base}?{urlencode(query)}" if query else base


def _point_json(point: GridPoint, resolved: ResolvedFigure, preset: str | None) -> dict[str, Any]:
    run = point.run
    rerun = resolved.experiment_url or rerun_url(resolved.experiment, preset, point.params)
    return {
        "choice": point.choice,
        "label": point.label,
        "run": run.pk if run else None,
        "figure": reverse("experiments:run_figure", args=[run.pk]) if run else None,
        "page": run.get_absolute_url() if run else None,
        "csv": reverse("experiments:run_figure_csv", args=[run.pk]) if run else None,
        "json": reverse("experiments:run_figure_data", args=[run.pk]) if run else None,
        "rerun": rerun,
    }


def figure_placeholder(resolved: ResolvedFigure, *, dom_id: str = "") -> str:
    """The trusted HTML that stands for a figure until figures.js draws it (and for readers without JavaScript)."""
    directive = resolved.directive
    preset = directive.preset or None
    dom_id = dom_id or f"lm-figure-{directive.index + 1}"
    points = [_point_json(p, resolved, preset) for p in resolved.points]
    controls = [
        {"key": key, "id": f"{dom_id}-{key}", "options": [_text(v) for v in values]}
        for key, values in directive.grid.items()
    ]
    tables = point_tables([(p.run, p.label) for p in resolved.points if p.run is not None])
    context = {
        "dom_id": dom_id,
        "experiment": resolved.experiment,
        "caption_html": directive.caption_html or "",
        "points": resolved.points,
        "points_json": json.dumps(points, separators=(",", ":")),
        "first": points[0] if points else None,
        "controls": controls,
        "tables": tables,
        "tables_complete": len(tables) == len(resolved.points),
        "table_runs": json.dumps([[p.run.pk, p.label] for p in resolved.points if p.run is not None]),
    }
    return render_to_string("experiments/includes/figure.html", context)


def point_tables(runs_and_labels: list[tuple[Run, str]]) -> list[dict[str, Any]]:
    """The no-script tables of the runs that succeeded, in order."""
    return [
        {"label": label, "rows": series_table(plotted_series(run))}
        for run, label in runs_and_labels
        if run.status == RunStatus.SUCCEEDED
    ]


def run_figure_html(run: Run) -> str:
    """The same embed for one run of any kind, as shown on its run page."""
    directive = FigureDirective(
        experiment=run.experiment_id,
        preset=run.preset,
        params=dict(run.config),
        grid={},
        caption="",
        index=0,
        line=0,
    )
    point = GridPoint(values={}, params=dict(run.config), run=run)
    experiment = run.experiment
    resolved = ResolvedFigure(
        directive=directive,
        experiment=experiment.name,
        points=[point],
        experiment_url="" if experiment.kind == ExperimentKind.REFERENCE else experiment.get_absolute_url(),
    )
    return figure_placeholder(resolved, dom_id=f"lm-run-figure-{run.pk}")


# --- Figures and their data from stored results ------------------------------------


def figure_version(run: Run) -> str:
    """The version of a run's drawing: its kind's figure code or spec now, and the Bokeh that serialises it."""
    import bokeh

    return f"{executor_for(run.experiment.kind).figure_version(run)}-{bokeh.__version__}"


def build_figure(run: Run) -> BokehModel:
    """The Bokeh figure of a succeeded run, drawn by trusted code (its kind's executor) from its stored result."""
    return executor_for(run.experiment.kind).figure(run)


def figure_item(run: Run) -> dict[str, Any]:
    """``bokeh.embed.json_item`` of a succeeded run's figure, cached by run and result digest."""
    from bokeh.embed import json_item

    key = f"lm-figure-item:{run.pk}:{run.digest}:{figure_version(run)}"
    item = cache.get(key)
    if item is None:
        item = json.loads(json.dumps(json_item(build_figure(run), target=None)))
        cache.set(key, item, 3600)
    return item


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _plots(obj: Any) -> Iterable[Any]:
    """The plots in a figure or a layout of figures (row, column, gridplot), in reading order."""
    if hasattr(obj, "renderers"):
        yield obj
    for child in getattr(obj, "children", None) or []:
        yield from _plots(child[0] if isinstance(child, tuple) else child)


def series_from_figure(fig: Any) -> list[dict[str, Any]]:
    """Every distinct data source a figure draws, as {name, role, x, y}: exactly the plotted data."""
    from bokeh.models import ColumnDataSource
    from bokeh.models.renderers import GlyphRenderer

    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for renderer in (r for plot in _plots(fig) for r in plot.renderers):
        if not isinstance(renderer, GlyphRenderer) or not isinstance(renderer.data_source, ColumnDataSource):
            continue
        source = renderer.data_source
        if source.id in seen:
            continue
        seen.add(source.id)
        data = source.data
        if "x" not in data or "y" not in data:
            continue
        series = list(data.get("series") or [])
        role = next((t for t in renderer.tags if t in ("theory", "measured")), "")
        name = str(series[0]) if series else (renderer.name or f"series {len(out) + 1}")
        out.append({"name": name, "role": role, "x": _clean(list(data["x"])), "y": _clean(list(data["y"]))})
    return out


def plotted_series(run: Run) -> list[dict[str, Any]]:
    """The plotted data of a succeeded run, cached like its figure."""
    key = f"lm-figure-series:{run.pk}:{run.digest}:{figure_version(run)}"
    series = cache.get(key)
    if series is None:
        series = series_from_figure(build_figure(run))
        cache.set(key, series, 3600)
    return series


def _pick(values: list[Any], n: int) -> list[int]:
    if len(values) <= n:
        return list(range(len(values)))
    step = (len(values) - 1) / (n - 1)
    return sorted({round(i * step) for i in range(n)})


def series_table(series: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A compact table for readers without JavaScript: a few evenly spaced points of each measured series."""
    chosen = [s for s in series if s["role"] == "measured"] or list(series)
    rows = []
    for s in chosen:
        for i in _pick(s["x"], TABLE_ROWS):
            rows.append({"series": s["name"], "x": s["x"][i], "y": s["y"][i]})
    return rows
