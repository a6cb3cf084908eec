"""A run's data over HTTP: its figure as a Bokeh JSON item, its plotted series, and its whole result.

A finished run never changes, so these responses carry an ETag built from the
run's status and result digest and may be cached for ever; Django's
conditional-response machinery answers If-None-Match. A queued or running
run's state is never cached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from apps.core.clients import client_address
from apps.experiments import exports
from apps.experiments.embeds import figure_item, figure_version
from apps.experiments.executors import BundleUnavailable, executor_for
from apps.experiments.models import Run, RunQuerySet, RunStatus
from apps.experiments.services import run_is_public, run_may_read_source

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# A drawing (the figure, its plotted data) follows the figure code: kept an hour, then revalidated by its ETag.
DRAWING = "public, max-age=3600"
DRAWN = ("figure", "data-json", "data-csv")
# A failed run stays failed, but a new identical request may replace it; check again soon.
SHORT = "public, max-age=60"
# A run of unpublished work: only its browser may keep it, never a shared cache.
PRIVATE = "private, max-age=60"


def _etag(run: Run, kind: str) -> str:
    drawn = f"-{figure_version(run)}" if kind in DRAWN else ""  # a drawing changes with the figure code
    return f'"{kind}-{run.pk}-{run.status}-{(run.digest or "none")[:32]}{drawn}"'


def _visible(request: HttpRequest) -> RunQuerySet:
    """The runs this reader may see (404 for the others, as for a run that does not exist)."""
    return Run.objects.visible_to(request.user).select_related("experiment")


def _finished(
    request: HttpRequest, run: Run, kind: str, cache_control: str, build: Callable[[], HttpResponseBase]
) -> HttpResponseBase:
    """A 304 when the client holds this representation of a finished run, else ``build()``; both cacheable."""
    etag = _etag(run, kind)
    response: HttpResponseBase | None = get_conditional_response(request, etag=etag)
    if response is None:
        response = build()
    response["ETag"] = etag
    if run_is_public(run):
        response["Cache-Control"] = cache_control
    else:
        response["Cache-Control"] = PRIVATE
        patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


# Bokeh JSON is repetitive (about 50 kB that gzip shrinks twelvefold) and holds no secret, so no BREACH risk.
@gzip_page
@require_GET
def run_figure(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """{status, progress, message, item} for the figure of a run; item is the Bokeh JSON item once it succeeded."""
    run = get_object_or_404(_visible(request), pk=run_id)
    body: dict[str, Any] = {"run": run.pk, "status": run.status, "progress": run.progress, "message": run.message}
    if run.is_active:
        live = JsonResponse({**body, "item": None})
        live["Cache-Control"] = "no-store"
        return live
    if run.status == RunStatus.SUCCEEDED:

        def draw() -> HttpResponse:
            return JsonResponse({**body, "item": figure_item(run)})

        try:
            return _finished(request, run, "figure", DRAWING, draw)
        except Exception:  # e.g. the experiment left the registry: say so, never a 500
            log.exception("could not draw the figure of run %s", run.pk)
            failed = JsonResponse({**body, "item": None, "error": "The figure of this run could not be drawn."})
            failed["Cache-Control"] = "no-store"
            return failed
    body["item"] = None
    shown = run.error if run_may_read_source(run, request.user) else ""
    body["error"] = shown or run.message or f"The run was {run.status}."
    replacement = _visible(request).live().originals().filter(cache_key=run.cache_key).exclude(pk=run.pk).first()
    if replacement is not None:
        body["replaced_by"] = replacement.pk
        body["replacement_figure"] = reverse("experiments:run_figure", args=[replacement.pk])
    return _finished(request, run, "figure", SHORT, lambda: JsonResponse(body))


def _download(request: HttpRequest, run_id: int, kind: str) -> HttpResponseBase:
    """A file of a succeeded run; a 404 that may change (no-store) while it has none."""
    run = get_object_or_404(_visible(request), pk=run_id)
    if run.status != RunStatus.SUCCEEDED:
        missing = JsonResponse({"status": run.status, "error": "This run has no result to download."}, status=404)
        missing["Cache-Control"] = "no-store"
        return missing
    return run_download(request, run, kind)


def run_download(request: HttpRequest, run: Run, kind: str) -> HttpResponseBase:
    """One export (exports.EXPORTS) of a succeeded run the caller may see, for pages and API alike.

    A 304 for a client that holds it; a 429 past RUNS_DOWNLOADS_PER_MINUTE full
    downloads; else the stored, compressed file, validated and cacheable.
    """
    etag = _etag(run, kind)
    if get_conditional_response(request, etag=etag) is None:
        # Only full downloads count towards the rate; a client that already holds the file costs nothing.
        wait = download_wait_s(request)
        if wait:
            limited = JsonResponse(
                {"error": f"Too many downloads; try again in {wait} s."}, status=429, headers={"Retry-After": str(wait)}
            )
            limited["Cache-Control"] = "no-store"
            return limited
    cache_control = DRAWING if kind in DRAWN else IMMUTABLE
    return _finished(request, run, kind, cache_control, lambda: exports.export_response(request, run, kind))


def download_wait_s(request: HttpRequest) -> int:
    """Seconds this client must wait before another full download (0: go ahead); counts this one if allowed."""
    who = f"u{request.user.pk}" if request.user.is_authenticated else f"a{client_address(request)}"
    bucket = int(time.time() // 60)
    key = f"run-downloads:{who}:{bucket}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr, or the cache is down: count afresh
        cache.set(key, 1, timeout=120)
        count = 1
    if count > settings.RUNS_DOWNLOADS_PER_MINUTE:
        return 60 - int(time.time()) % 60
    return 0


@require_GET
def run_figure_data(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """The plotted series of a run's figure as JSON (exports.plotted_document)."""
    return _download(request, run_id, "data-json")


@require_GET
def run_figure_csv(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """The plotted series of a run's figure as long-format CSV: series, role, x, y."""
    return _download(request, run_id, "data-csv")


@require_GET
def run_result_json(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """A succeeded run's whole result with its configuration and provenance (exports.result_document)."""
    return _download(request, run_id, "result-json")


@require_GET
def run_result_csv(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """Every array of a succeeded run's result as a CSV column."""
    return _download(request, run_id, "result-csv")


@require_GET
def run_bundle(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """A zip that reproduces a succeeded run anywhere: its code, configuration, environment and expected digest."""
    run = get_object_or_404(_visible(request).select_related("result"), pk=run_id)
    if run.status != RunStatus.SUCCEEDED:
        return JsonResponse({"error": "Only a run that succeeded can be reproduced."}, status=404)
    try:
        data = executor_for(run.experiment.kind).reproduction_bundle(run)
    except BundleUnavailable as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(run, "-reproduce.zip")}"'
    response["Cache-Control"] = "private, no-cache"
    return response
