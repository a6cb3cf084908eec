"""Figures in articles: figure directives become live Bokeh embeds backed by recorded runs.

The rendering pipeline calls ``figure_resolver`` (settings.FIGURE_RESOLVER) for
each ```figure block, with the requester of the rendering. We validate the
directive against the experiment's typed configuration for the base
parameters and every grid point, find (or, for a requester, request) a run
per grid point, and return placeholder HTML that names those runs by id.
The HTML is cached when a version is published, so it holds nothing that goes
stale: the live state of each run (progress, failure, the figure itself) comes
from ``/experiments/runs/<id>/figure.json`` and is drawn by static/js/figures.js.

A figure shows first as the static image of its default grid point's run
(``/experiments/runs/<id>/figure.svg``, drawn by the worker), with its size
reserved; figures.js swaps in the interactive figure when the reader comes
near it, and loads BokehJS and the figure JSON only then.
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
# Rows of the server-rendered data table (the figure's text alternative), per series.
TABLE_ROWS = 8
# The size an image is shown at before its run has finished (the house figures' own size).
DEFAULT_IMAGE_SIZE = (640, 400)


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
    # Which point the figure opens on (the directive's ``default``, else the first).
    default_index: int = 0

    @property
    def default_point(self) -> GridPoint | None:
        return self.points[self.default_index] if self.points else None


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
    resolved.default_index = _default_index(directive, resolved.points)
    return resolved


def _default_index(directive: FigureDirective, points: list[GridPoint]) -> int:
    """The grid point named by the directive's ``default`` (keys left out take their first value)."""
    if not directive.default:
        return 0
    chosen: dict[str, Any] = {}
    for key, value in directive.default.items():
        if key not in directive.grid:
            where = f"the grid varies {', '.join(directive.grid)}" if directive.grid else "the figure has no grid"
            raise FigureError(f"default.{key}: {key!r} is not a grid parameter ({where})")
        options = directive.grid[key]
        match = next((option for option in options if _text(option) == _text(value)), None)
        if match is None:
            listed = ", ".join(_text(o) for o in options)
            raise FigureError(f"default.{key}: {_text(value)} is not one of the grid's values ({listed})")
        chosen[key] = match
    for key, options in directive.grid.items():
        chosen.setdefault(key, options[0])
    wanted = [_text(chosen[key]) for key in directive.grid]
    return next(i for i, point in enumerate(points) if point.choice == wanted)


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
        return figure_placeholder(resolved, title=spec.title)
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
    return figure_placeholder(resolved, title=spec.title)


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
        "image": reverse("experiments:run_figure_svg", args=[run.pk]) if run else None,
        "page": run.get_absolute_url() if run else None,
        "csv": reverse("experiments:run_figure_csv", args=[run.pk]) if run else None,
        "json": reverse("experiments:run_figure_data", args=[run.pk]) if run else None,
        "rerun": rerun,
    }


def _image_size(run: Run | None) -> tuple[int, int] | None:
    """The size of a run's stored figure image, or None while it has none."""
    from apps.experiments.models import RunFigureImage

    if run is None or run.status != RunStatus.SUCCEEDED:
        return None
    found = RunFigureImage.objects.filter(run=run).values_list("width", "height").first()
    return (int(found[0]), int(found[1])) if found else None


def box_style(width: int, height: int) -> str:
    """The plot box's size as data (the image's aspect ratio and height); figures.css decides what to do with
    it, so that cached article HTML never fixes a layout rule."""
    return f"aspect-ratio: {width} / {height}; --lm-figure-width: {width}px; --lm-figure-height: {height}px"


def figure_placeholder(resolved: ResolvedFigure, *, dom_id: str = "", title: str = "") -> str:
    """The trusted HTML of a figure: its default point's image at once (size reserved), controls that
    figures.js reveals, caption, data table and links. ``title`` names the figure in the image's text."""
    directive = resolved.directive
    preset = directive.preset or None
    dom_id = dom_id or f"lm-figure-{directive.index + 1}"
    points = [_point_json(p, resolved, preset) for p in resolved.points]
    default = resolved.default_point
    chosen = default.choice if default is not None else []
    controls = [
        {
            "key": key,
            "id": f"{dom_id}-{key}",
            "options": [{"value": _text(v), "selected": _text(v) == chosen[i]} for v in values],
        }
        for i, (key, values) in enumerate(directive.grid.items())
    ]
    tables = point_tables([(p.run, p.label) for p in resolved.points if p.run is not None])
    first = points[resolved.default_index] if points else None
    size = _image_size(default.run if default is not None else None)
    width, height = size or DEFAULT_IMAGE_SIZE
    title = title or resolved.experiment
    label = default.label if default is not None and default.values else ""
    context = {
        "dom_id": dom_id,
        "experiment": resolved.experiment,
        "caption_html": directive.caption_html or "",
        "points": resolved.points,
        "points_json": json.dumps(points, separators=(",", ":")),
        "default_index": resolved.default_index,
        "first": first,
        "controls": controls,
        "tables": tables,
        "tables_complete": len(tables) == len(resolved.points),
        "table_runs": json.dumps([[p.run.pk, p.label] for p in resolved.points if p.run is not None]),
        "width": width,
        "height": height,
        "box_style": box_style(width, height),
        # Until the run has an image its size is a guess; the figure_tables filter corrects it later.
        "size_pending": size is None and first is not None and first["run"] is not None,
        "alt": f"Plot: {title}" + (f", {label}" if label else "") + ". The data table below lists its values.",
        # The first figure of a page is likely in view: fetch its image at once, the others when near.
        "lazy": directive.index > 0,
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
    return figure_placeholder(resolved, dom_id=f"lm-run-figure-{run.pk}", title=f"{experiment.title}, run {run.pk}")


# --- Figures and their data from stored results ------------------------------------


def figure_version(run: Run) -> str:
    """What a run's drawing depends on besides its result, as 16 hex digits: its kind's figure code or spec
    now, the image-drawing code and house theme (compute.figure_svg), and the Bokeh that serialises it.

    Stored images, cached items, plotted-data files, their ETags and the pages' image URLs carry it, so a
    restyled figure reaches readers as soon as the code changes.
    """
    import hashlib

    import bokeh

    from compute.figure_svg import style_version

    parts = f"{executor_for(run.experiment.kind).figure_version(run)}|{style_version()}|{bokeh.__version__}"
    return hashlib.sha256(parts.encode()).hexdigest()[:16]


def build_figure(run: Run) -> BokehModel:
    """The Bokeh figure of a succeeded run, drawn by trusted code (its kind's executor) from its stored result."""
    return executor_for(run.experiment.kind).figure(run)


# Significant digits of the numbers in a figure's JSON: far below a pixel, and hover shows four decimals.
ITEM_DIGITS = 6


def _interactive(figure: BokehModel) -> BokehModel:
    """The figure as pages embed it: filling the box its image reserved (so nothing moves when it is swapped
    in, or when the grid is switched), with no drag or wheel tool active (so a swipe scrolls the page)."""
    figure.sizing_mode = "stretch_both"  # type: ignore[attr-defined]
    for plot in _plots(figure):
        plot.sizing_mode = "stretch_both"
        toolbar = getattr(plot, "toolbar", None)
        if toolbar is not None:
            toolbar.active_drag = None
            toolbar.active_scroll = None
            toolbar.active_multi = None
    return figure


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{ITEM_DIGITS}g}") if math.isfinite(value) else value
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def item_json(figure: BokehModel) -> str:
    """A Bokeh figure as the compact JSON item pages embed (``bokeh.embed.json_item``, made interactive and rounded).

    Changes ``figure`` (its sizing and active tools): draw any image of it first.
    """
    from bokeh.embed import json_item

    item = _rounded(json.loads(json.dumps(json_item(_interactive(figure), target=None))))
    return json.dumps(item, separators=(",", ":"))


def figure_item_json(run: Run) -> str:
    """The JSON item of a succeeded run's figure: the one the worker stored with its image when current, else
    built now and cached by run, digest and figure version."""
    from apps.experiments.models import RunFigureImage

    stored = RunFigureImage.objects.filter(run=run).only("item", "digest", "style").first()
    if stored is not None and stored.item and stored.is_current_for(run):
        return stored.item
    key = f"lm-figure-item:{run.pk}:{run.digest}:{figure_version(run)}"
    text = cache.get(key)
    if text is None:
        text = item_json(build_figure(run))
        cache.set(key, text, 3600)
    return str(text)


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
