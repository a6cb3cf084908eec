"""``{% run_figure run %}``: the live figure of one run; ``|figure_tables``: fresh no-script tables in cached HTML."""

from __future__ import annotations

import json
import logging
import re
from html import unescape

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from apps.core import pagecache
from apps.experiments.embeds import point_tables, run_figure_html
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


# The no-script block our own figure template emits (the sanitiser drops <noscript> from author
# HTML, so this cannot be forged). Only blocks still waiting for runs are looked at.
_PENDING_TABLES = re.compile(
    r'<noscript data-lm-table-runs="([^"]*)" data-lm-table-complete="false">.*?</noscript>', re.S
)


@register.filter
def figure_tables(html: str) -> SafeString:
    """Fill in the no-script data tables of figures whose runs finished after the HTML was cached."""
    text = str(html)
    if 'data-lm-table-complete="false"' not in text:
        return mark_safe(text)  # already trusted HTML from the rendering pipeline  # noqa: S308

    def refill(match: re.Match[str]) -> str:
        try:
            pairs = [(int(pk), str(label)) for pk, label in json.loads(unescape(match.group(1)))]
            # A cached page showing this table is stale once one of these runs finishes (run_finish).
            pagecache.depends_on(*(pagecache.run(pk) for pk, _ in pairs))
            runs = Run.objects.select_related("result").in_bulk([pk for pk, _ in pairs])
            tables = point_tables([(runs[pk], label) for pk, label in pairs if pk in runs])
        except Exception:  # never break the article over a fallback table
            log.exception("could not fill a figure's no-script table")
            return match.group(0)
        context = {
            "tables": tables,
            "tables_complete": len(tables) == len(pairs),
            "table_runs": unescape(match.group(1)),
        }
        return render_to_string("experiments/includes/figure_noscript.html", context).strip()

    return mark_safe(_PENDING_TABLES.sub(refill, text))  # noqa: S308
