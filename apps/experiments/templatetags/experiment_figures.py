"""Figures in templates.

- ``{% run_figure run %}``: the live figure of one run (run pages).
- ``{{ html|figure_tables }}`` (also ``figure_fill``): what figure HTML cached at publication cannot know yet,
  filled in at view time: data tables and image sizes of runs that finished later, the latest re-check of
  each figure's run, and the image URLs stamped with today's figure version so that a restyled figure is
  fetched anew.
- ``{% figure_image run %}``: a run's static figure image alone, linked to its run page (the home page).
- ``{% figure_og_image html as og %}``: the Open Graph image of a page whose HTML holds figures
  (``og.url``, ``og.width``, ``og.height``, ``og.alt``), or None.
- ``{% figure_config %}``: what static/js/figures.js needs (templates/experiments/includes/figure_scripts.html).
"""

from __future__ import annotations

import json
import logging
import re
from html import unescape
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from apps.core import pagecache
from apps.experiments.embeds import box_style, point_tables, run_figure_html
from apps.experiments.images import drawing_version, first_figure_image
from apps.experiments.models import Run, RunFigureImage, RunStatus
from apps.experiments.reproducibility import latest_checks

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag
def run_figure(run: Run) -> SafeString:
    try:
        html = run_figure_html(run)
    except Exception:  # an experiment removed from the registry must not break the run page
        log.exception("could not build the figure embed of run %s", run.pk)
        return mark_safe("")
    return mark_safe(html)  # built from our own template with autoescaping  # noqa: S308


# Blocks our own figure template emits (the sanitiser drops data- attributes from author HTML, so these
# cannot be forged). Only those still waiting for runs are looked at.
_PENDING_TABLES = re.compile(
    r'<div class="lm-figure-tables" data-lm-table-runs="([^"]*)" data-lm-table-complete="false">.*?</div>', re.S
)
_PENDING_SIZE = re.compile(
    r'<div class="lm-figure-plot" style="[^"]*" data-lm-size-run="(\d+)">'
    r'(\s*<img class="lm-figure-image" src="[^"]*" )width="\d+" height="\d+"'
)
_REPRODUCED = re.compile(r'<p class="lm-figure-reproduced" data-lm-reproduced-run="(\d+)"></p>')
_IMAGE_SRC = re.compile(r'(<img class="lm-figure-image" src="[^"?]*/figure\.svg)"')


def _tables(match: re.Match[str]) -> str:
    try:
        pairs = [(int(pk), str(label)) for pk, label in json.loads(unescape(match.group(1)))]
        # A cached page showing this table is stale once one of these runs finishes (run_finish).
        pagecache.depends_on(*(pagecache.run(pk) for pk, _ in pairs))
        runs = Run.objects.select_related("result", "experiment").in_bulk([pk for pk, _ in pairs])
        tables = point_tables([(runs[pk], label) for pk, label in pairs if pk in runs])
    except Exception:  # never break the article over a data table
        log.exception("could not fill a figure's data table")
        return match.group(0)
    context = {"tables": tables, "tables_complete": len(tables) == len(pairs), "table_runs": unescape(match.group(1))}
    return render_to_string("experiments/includes/figure_data.html", context).strip()


def _fill_reproduced(text: str) -> str:
    """Say under each figure how the run behind its image was last re-checked (one query for the page)."""
    wanted = {int(m.group(1)) for m in _REPRODUCED.finditer(text)}
    # A cached page showing this is stale once a re-check of one of these runs finishes (run_finish).
    pagecache.depends_on(*(pagecache.run(pk) for pk in sorted(wanted)))
    try:
        checks = latest_checks(wanted)
    except Exception:  # never break the article over a status line
        log.exception("could not read figures' re-checks")
        return text

    def status(match: re.Match[str]) -> str:
        run_id = int(match.group(1))
        context = {"run_id": run_id, "check": checks.get(run_id)}
        return render_to_string("experiments/includes/figure_reproduced.html", context).strip()

    return _REPRODUCED.sub(status, text)


@register.filter
def figure_tables(html: str) -> SafeString:
    """Fill in what cached figure HTML could not know: tables and image sizes of runs finished since, how
    each figure's run was last re-checked, and the current figure version on image URLs. Costs one query
    per kind of gap, none when there is none."""
    text = str(html)
    if 'data-lm-table-complete="false"' in text:
        text = _PENDING_TABLES.sub(_tables, text)
    if "data-lm-size-run=" in text:
        wanted = [int(m.group(1)) for m in _PENDING_SIZE.finditer(text)]
        # A cached page showing a guessed size is stale once the run's image is drawn (images.run_image_draw).
        pagecache.depends_on(*(pagecache.run(pk) for pk in wanted))
        sizes = {
            run_id: (width, height)
            for run_id, width, height in RunFigureImage.objects.filter(run_id__in=wanted).values_list(
                "run_id", "width", "height"
            )
        }

        def size(match: re.Match[str]) -> str:
            found = sizes.get(int(match.group(1)))
            if found is None:
                return match.group(0)
            w, h = found
            return f'<div class="lm-figure-plot" style="{box_style(w, h)}">{match.group(2)}width="{w}" height="{h}"'

        text = _PENDING_SIZE.sub(size, text)
    if "data-lm-reproduced-run=" in text:
        text = _fill_reproduced(text)
    if "/figure.svg" in text:
        text = _IMAGE_SRC.sub(rf'\1?v={drawing_version()}"', text)
    return mark_safe(text)  # trusted HTML from the rendering pipeline, changed only by our own patterns  # noqa: S308


register.filter("figure_fill", figure_tables)


@register.inclusion_tag("experiments/includes/figure_image.html")
def figure_image(run: Run, *, alt: str = "", lazy: bool = True) -> dict[str, Any]:
    """A succeeded run's static figure image, sized, linked to its run page; nothing for other runs."""
    if run is None or run.status != RunStatus.SUCCEEDED:
        return {"image": None}
    stored = RunFigureImage.objects.filter(run=run).values_list("width", "height", "title").first()
    width, height, title = stored if stored is not None else (640, 400, "")
    return {
        "image": {
            "src": f"{reverse('experiments:run_figure_svg', args=[run.pk])}?v={drawing_version()}",
            "width": width,
            "height": height,
            "alt": alt or f"Plot: {title or run.experiment.title}",
            "href": run.get_absolute_url(),
            "lazy": lazy,
        }
    }


@register.simple_tag(takes_context=True)
def figure_og_image(context: template.Context, html: str) -> dict[str, Any] | None:
    """The PNG of the first figure in ``html`` whose run has an image, as an absolute URL, for og:image."""
    found = first_figure_image(str(html))
    if found is None:
        return None
    request = context.get("request")
    site = str(context.get("SITE_URL") or "").rstrip("/")
    url = request.build_absolute_uri(found.png_path) if request is not None and not site else site + found.png_path
    return {"url": url, "width": found.width * 2, "height": found.height * 2, "alt": found.title}


@register.simple_tag
def figure_config() -> dict[str, Any]:
    """What static/js/figures.js needs from the server (rendered as a JSON data block, never run as script):
    where BokehJS is, the figure version its requests carry, the house inks in light and dark mode, and the
    series colours that never change with the mode."""
    from django.templatetags.static import static

    from compute.figure_svg.ink import palette, tokens

    return {
        "bokeh": static("bokeh/bokeh.min.js"),
        "version": drawing_version(),
        "inks": tokens(),
        "palette": sorted(palette()),
    }
