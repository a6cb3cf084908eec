"""The figure of a run as a Bokeh JSON item, and exactly its plotted data as CSV and JSON.

A finished run never changes, so its responses carry a digest-based ETag and
may be cached for ever; a queued or running run's state is never cached.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

import bokeh
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from apps.experiments.figures import figure_item, plotted_series
from apps.experiments.models import Run, RunStatus

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# A failed run stays failed, but a new identical request may replace it; check again soon.
SHORT = "public, max-age=60"


def _etag(run: Run, kind: str) -> str:
    return f'"{kind}-{run.pk}-{run.status}-{(run.digest or "none")[:32]}-{bokeh.__version__}"'


def _not_modified(request: HttpRequest, etag: str) -> bool:
    # gzip_page weakens the ETag of a compressed response (W/"..."); a weak match is enough for a GET.
    sent = [part.strip().removeprefix("W/") for part in request.headers.get("If-None-Match", "").split(",")]
    return etag in sent or "*" in sent


def _run(run_id: int) -> Run:
    return get_object_or_404(Run.objects.select_related("experiment"), pk=run_id)


# Bokeh JSON is repetitive (about 50 kB that gzip shrinks twelvefold) and holds no secret, so no BREACH risk.
@gzip_page
@require_GET
def run_figure(request: HttpRequest, run_id: int) -> HttpResponse:
    """{status, progress, message, item} for the figure of a run; item is the Bokeh JSON item once it succeeded."""
    run = _run(run_id)
    body: dict[str, Any] = {"run": run.pk, "status": run.status, "progress": run.progress, "message": run.message}
    if run.is_active:
        live = JsonResponse({**body, "item": None})
        live["Cache-Control"] = "no-store"
        return live
    etag = _etag(run, "figure")
    cache_control = IMMUTABLE if run.status == RunStatus.SUCCEEDED else SHORT
    response: HttpResponse
    if _not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        if run.status == RunStatus.SUCCEEDED:
            try:
                body["item"] = figure_item(run)
            except Exception:  # e.g. the experiment left the registry: say so, never a 500
                log.exception("could not draw the figure of run %s", run.pk)
                failed = JsonResponse({**body, "item": None, "error": "The figure of this run could not be drawn."})
                failed["Cache-Control"] = "no-store"
                return failed
        else:
            body["item"] = None
            body["error"] = run.error or run.message or f"The run was {run.status}."
            replacement = Run.objects.live().originals().filter(cache_key=run.cache_key).exclude(pk=run.pk).first()
            if replacement is not None:
                body["replaced_by"] = replacement.pk
                body["replacement_figure"] = reverse("experiments:run_figure", args=[replacement.pk])
        response = JsonResponse(body)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def _data_response(request: HttpRequest, run_id: int, kind: str) -> tuple[Run, HttpResponse | None, str]:
    run = _run(run_id)
    if run.status != RunStatus.SUCCEEDED or not hasattr(run, "result"):
        missing = JsonResponse({"status": run.status, "error": "This run has no result to download."}, status=404)
        missing["Cache-Control"] = "no-store"
        return run, missing, ""
    etag = _etag(run, kind)
    if _not_modified(request, etag):
        unchanged = HttpResponseNotModified()
        unchanged["ETag"] = etag
        unchanged["Cache-Control"] = IMMUTABLE
        return run, unchanged, etag
    return run, None, etag


@gzip_page
@require_GET
def run_figure_data(request: HttpRequest, run_id: int) -> HttpResponse:
    """The plotted series of a run's figure as JSON: {run, experiment, config, digest, series: [{name, role, x, y}]}."""
    run, early, etag = _data_response(request, run_id, "data-json")
    if early is not None:
        return early
    payload = {
        "run": run.pk,
        "experiment": run.experiment_id,
        "config": run.config,
        "digest": run.digest,
        "series": plotted_series(run),
    }
    response = HttpResponse(json.dumps(payload, indent=1), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{run.experiment_id}-run{run.pk}-figure.json"'
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response


@gzip_page
@require_GET
def run_figure_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """The plotted series of a run's figure as long-format CSV: series, role, x, y (one row per plotted point)."""
    run, early, etag = _data_response(request, run_id, "data-csv")
    if early is not None:
        return early
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["series", "role", "x", "y"])
    for s in plotted_series(run):
        for x, y in zip(s["x"], s["y"], strict=True):
            writer.writerow([s["name"], s["role"], "" if x is None else repr(x), "" if y is None else repr(y)])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{run.experiment_id}-run{run.pk}-figure.csv"'
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response
