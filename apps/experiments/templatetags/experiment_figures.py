"""``{% run_figure run %}``: the live figure embed of one run (run pages, and anywhere a run is shown)."""

from __future__ import annotations

import logging

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.experiments.figures import run_figure_html
from apps.experiments.models import Run

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
