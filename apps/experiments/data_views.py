"""A run's data over HTTP: its figure as a Bokeh JSON item and as a static image, its plotted series,
and its whole result.

A finished run never changes, so these responses carry an ETag built from the
run's status and result digest (and, for its figure, the version of the
drawing code and house theme, which page URLs carry as ``?v=``) and may be
cached for ever; Django's conditional-response machinery answers
If-None-Match. A queued or running run's state is never cached.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import bokeh
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from apps.experiments import exports
from apps.experiments.embeds import figure_item_json
from apps.experiments.images import figure_version, run_image
from apps.experiments.models import Run, RunStatus

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# A failed run stays failed, but a new identical request may replace it; check again soon.
SHORT = "public, max-age=60"


def _etag(run: Run, kind: str) -> str:
    version = figure_version() if kind.startswith("figure") else bokeh.__version__
    return f'"{kind}-{run.pk}-{run.status}-{(run.digest or "none")[:32]}-{version}"'


def _run(run_id: int) -> Run:
    return get_object_or_404(Run.objects.select_related("experiment"), pk=run_id)


def _finished(
    request: HttpRequest, run: Run, kind: str, cache_control: str, build: Callable[[], HttpResponse]
) -> HttpResponse:
    """A 304 when the client holds this representation of a finished run, else ``build()``; both cacheable."""
    etag = _etag(run, kind)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = build()
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


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
    if run.status == RunStatus.SUCCEEDED:

        def draw() -> HttpResponse:
            # The stored item is JSON text already: splice it in rather than parse and write it again.
            head = json.dumps(body, separators=(",", ":"))[:-1]
            return HttpResponse(f'{head},"item":{figure_item_json(run)}}}', content_type="application/json")

        try:
            return _finished(request, run, "figure", IMMUTABLE, draw)
        except Exception:  # e.g. the experiment left the registry: say so, never a 500
            log.exception("could not draw the figure of run %s", run.pk)
            failed = JsonResponse({**body, "item": None, "error": "The figure of this run could not be drawn."})
            failed["Cache-Control"] = "no-store"
            return failed
    body["item"] = None
    body["error"] = run.error or run.message or f"The run was {run.status}."
    replacement = Run.objects.live().originals().filter(cache_key=run.cache_key).exclude(pk=run.pk).first()
    if replacement is not None:
        body["replaced_by"] = replacement.pk
        body["replacement_figure"] = reverse("experiments:run_figure", args=[replacement.pk])
    return _finished(request, run, "figure", SHORT, lambda: JsonResponse(body))


# What a figure image may show besides the figure: the reader's light or dark mode pinned, or left to the system.
THEMES = ("auto", "light", "dark")


def _image_response(body: str | bytes, content_type: str, cache_control: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = cache_control
    # An image is opened on its own too: it may style itself, never run anything or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@gzip_page
@require_GET
def run_figure_svg(request: HttpRequest, run_id: int) -> HttpResponse:
    """The static image of a run's figure (SVG). ``?theme=light|dark`` pins its inks; by default they follow
    the reader's system. A run still computing, or failed, gets an image of the same size that says so."""
    run = _run(run_id)
    theme = request.GET.get("theme", "auto")
    theme = theme if theme in THEMES else "auto"
    from compute.figure_svg import for_theme, message

    if run.is_active:
        text = "Computing this figure…" if run.status == RunStatus.RUNNING else "This figure is waiting to be computed…"
        return _image_response(for_theme(message(text), theme), "image/svg+xml", "no-store")
    if run.status != RunStatus.SUCCEEDED:
        failed = message(f"This figure's run {run.status}; the run page says why.")
        return _finished(
            request,
            run,
            f"figure-svg-{theme}",
            SHORT,
            lambda: _image_response(for_theme(failed, theme), "image/svg+xml", SHORT),
        )
    try:
        image = run_image(run)
    except Exception:  # e.g. the experiment left the registry: say so in the picture, never a 500
        log.exception("could not draw the figure image of run %s", run.pk)
        broken = message("The figure of this run could not be drawn.")
        return _image_response(for_theme(broken, theme), "image/svg+xml", "no-store")
    return _finished(
        request,
        run,
        f"figure-svg-{theme}",
        IMMUTABLE,
        lambda: _image_response(for_theme(image.svg, theme), "image/svg+xml", IMMUTABLE),
    )


@require_GET
def run_figure_png(request: HttpRequest, run_id: int) -> HttpResponse:
    """The static image of a succeeded run's figure as a PNG in light mode, for social previews (Open Graph)."""
    run = _run(run_id)
    if run.status != RunStatus.SUCCEEDED:
        missing = HttpResponse(status=404)
        missing["Cache-Control"] = "no-store"
        return missing
    try:
        image = run_image(run, png=True)
    except Exception:
        log.exception("could not draw the figure image of run %s", run.pk)
        broken = HttpResponse(status=404)
        broken["Cache-Control"] = "no-store"
        return broken
    return _finished(
        request, run, "figure-png", IMMUTABLE, lambda: _image_response(bytes(image.png), "image/png", IMMUTABLE)
    )


def _download(
    request: HttpRequest, run_id: int, kind: str, content: Callable[[Run], str], content_type: str, suffix: str
) -> HttpResponse:
    """A file made from a succeeded run; a 404 that may change (no-store) while the run has no result."""
    run = get_object_or_404(Run.objects.select_related("experiment", "result"), pk=run_id)
    if run.status != RunStatus.SUCCEEDED or not hasattr(run, "result"):
        missing = JsonResponse({"status": run.status, "error": "This run has no result to download."}, status=404)
        missing["Cache-Control"] = "no-store"
        return missing

    def build() -> HttpResponse:
        response = HttpResponse(content(run), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(run, suffix)}"'
        return response

    return _finished(request, run, kind, IMMUTABLE, build)


@gzip_page
@require_GET
def run_figure_data(request: HttpRequest, run_id: int) -> HttpResponse:
    """The plotted series of a run's figure as JSON (exports.plotted_document)."""
    return _download(request, run_id, "data-json", exports.plotted_json, "application/json", "-figure.json")


@gzip_page
@require_GET
def run_figure_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """The plotted series of a run's figure as long-format CSV: series, role, x, y."""
    return _download(request, run_id, "data-csv", exports.plotted_csv, "text/csv; charset=utf-8", "-figure.csv")


@gzip_page
@require_GET
def run_result_json(request: HttpRequest, run_id: int) -> HttpResponse:
    """A succeeded run's whole result with its configuration and provenance (exports.result_document)."""
    return _download(request, run_id, "result-json", exports.result_json, "application/json", ".json")


@gzip_page
@require_GET
def run_result_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """Every array of a succeeded run's result as a CSV column."""
    return _download(request, run_id, "result-csv", exports.result_csv, "text/csv; charset=utf-8", ".csv")
