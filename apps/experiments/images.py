"""Static images of runs' figures: drawn by the worker when a run finishes, stored, served to every page.

The worker calls ``run_image_after_finish`` once a run is recorded as
succeeded (apps.experiments.execution); a failure to draw is logged and never
touches the run. Runs that finished before images existed, and images drawn
with an older drawing code or house theme (see ``RunFigureImage.style``),
get theirs from ``manage.py figure_images`` or, failing that, from the first
request for them (``run_image``): the SVG takes a few tens of milliseconds,
the PNG for social previews is drawn only when first asked for.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from html import unescape

from django.urls import reverse

from apps.core import pagecache
from apps.experiments.embeds import figure_version
from apps.experiments.executors import executor_for
from apps.experiments.models import Run, RunFigureImage, RunStatus

log = logging.getLogger(__name__)


def drawing_version() -> str:
    """How every figure is drawn today (image-drawing code, house theme, Bokeh): image URLs carry it.

    Per run, ``embeds.figure_version`` adds the experiment's own figure code; images are served with an
    ETag on that and revalidated hourly, so a change to one experiment's figure reaches readers too.
    """
    import bokeh

    from compute.figure_svg import style_version

    return f"{style_version()}-{bokeh.__version__}"


def run_image_draw(*, run: Run, png: bool = True) -> RunFigureImage:
    """Draw the image (and the interactive JSON item) of a succeeded run's figure from its stored result and
    store them, replacing older ones.

    Raises whatever drawing raises (an experiment gone from the registry, a
    figure builder that fails on this result); callers decide what to log.
    """
    from apps.experiments.embeds import item_json
    from compute import figure_svg

    if run.status != RunStatus.SUCCEEDED:
        raise ValueError(f"run {run.pk} has not succeeded; it has no figure to draw")
    figure = executor_for(run.experiment.kind).figure(run)
    image = figure_svg.render(figure, with_png=png)
    stored, _ = RunFigureImage.objects.update_or_create(
        run=run,
        defaults={
            "svg": image.svg,
            "png": image.png,
            "item": item_json(figure),  # after the image: it makes the figure fill the page's box
            "width": image.width,
            "height": image.height,
            "title": image.title[:300],
            "description": image.description,
            "digest": run.digest,
            "style": figure_version(run),
        },
    )
    pagecache.invalidate(pagecache.run(run.pk))  # pages that guessed its image's size before it was drawn
    return stored


def run_image_after_finish(run_id: int) -> RunFigureImage | None:
    """The worker's hook after a run is recorded as succeeded: draw its image; log a failure, never raise."""
    try:
        run = Run.objects.select_related("experiment", "result").get(pk=run_id)
        return run_image_draw(run=run)
    except Exception:
        log.exception("could not draw the figure image of run %s; it will be drawn when first requested", run_id)
        return None


def run_image(run: Run, *, png: bool = False) -> RunFigureImage:
    """The current image of a succeeded run: the stored one, or drawn now when missing, stale or without a PNG."""
    image = RunFigureImage.objects.filter(run=run).first()
    if image is not None and image.is_current_for(run) and (image.png or not png):
        return image
    if image is not None and image.is_current_for(run):  # only the PNG is missing
        from compute import figure_svg

        image.png = figure_svg.render(executor_for(run.experiment.kind).figure(run)).png
        image.save(update_fields=["png", "drawn_at"])
        return image
    return run_image_draw(run=run, png=png)


def runs_images_draw(*, runs: list[Run] | None = None, everything: bool = False) -> tuple[int, int]:
    """Draw the images of succeeded runs that have none or a stale one (``everything``: all of them again).

    Returns (drawn, failed); a run whose figure cannot be drawn is logged and skipped.
    """
    queryset = Run.objects.succeeded().select_related("experiment", "result", "figure_image")
    if runs is not None:
        queryset = queryset.filter(pk__in=[r.pk for r in runs])
    drawn = failed = 0
    for run in queryset.iterator(chunk_size=50):
        current = getattr(run, "figure_image", None)
        if not everything and current is not None and current.is_current_for(run):
            continue
        try:
            run_image_draw(run=run)
            drawn += 1
        except Exception:
            log.exception("could not draw the figure image of run %s", run.pk)
            failed += 1
    return drawn, failed


_FIRST_FIGURE = re.compile(
    r'<figure class="lm-figure lm-figure-live"[^>]*data-points="([^"]*)"[^>]*data-default="(\d+)"'
)


@dataclass(frozen=True)
class PreviewImage:
    """The image that stands for a page with figures (social previews, feeds): its first figure's."""

    run_id: int
    svg_path: str
    png_path: str
    width: int
    height: int
    title: str


def first_figure_image(html: str) -> PreviewImage | None:
    """The image of the first figure in rendered HTML (at the point it opens on), if its run has one."""
    match = _FIRST_FIGURE.search(html)
    if match is None:
        return None
    try:
        run_id = int(json.loads(unescape(match.group(1)))[int(match.group(2))]["run"])
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    row = (
        RunFigureImage.objects.filter(run_id=run_id, run__status=RunStatus.SUCCEEDED)
        .values_list("width", "height", "title")
        .first()
    )
    if row is None:
        return None
    version = drawing_version()
    return PreviewImage(
        run_id=run_id,
        svg_path=f"{reverse('experiments:run_figure_svg', args=[run_id])}?v={version}",
        png_path=f"{reverse('experiments:run_figure_png', args=[run_id])}?v={version}",
        width=row[0],
        height=row[1],
        title=row[2],
    )
