"""Reads for the home page."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apps.core.rendering import FigureError, figure_directives
from apps.experiments.models import Run
from apps.perspectives.models import Article, Kind

log = logging.getLogger(__name__)

# How many of the newest articles are looked at for a figure to show first.
HOME_FIGURE_CANDIDATES = 10


@dataclass(frozen=True)
class HomeFigure:
    """A finished run that draws an article's first figure, and the caption it has there."""

    article: Article
    run: Run
    caption: str


def _first_point_run(experiment: str, preset: str, params: dict[str, object]) -> Run | None:
    """The succeeded run of an experiment at these parameters, if the site has computed it."""
    from apps.experiments.services import run_cache_key
    from compute import registry
    from compute.runner import code_hash, config_hash

    spec = registry.get(experiment)
    config = spec.validate(params, preset=preset or None)
    key = run_cache_key(spec.name, config_hash(config), code_hash(spec))
    return Run.objects.succeeded().originals().filter(cache_key=key).select_related("experiment").first()


def home_figure() -> HomeFigure | None:
    """The first figure of the newest tutorial or perspective whose run for it has finished.

    The figure shows its first grid point, the one an article's figure opens
    on. Articles whose first figure has no finished run yet are passed over.
    """
    from apps.experiments.embeds import directive_validate, grid_points

    articles = (
        Article.objects.published()
        .filter(kind__in=(Kind.TUTORIAL, Kind.PERSPECTIVE))
        .select_related("latest_version")
        .order_by("-latest_version__published_at", "-pk")[:HOME_FIGURE_CANDIDATES]
    )
    for article in articles:
        version = article.latest_version
        directives = figure_directives(version.body) if version is not None else []
        if not directives:
            continue
        first = directives[0]
        try:
            directive_validate(first)
            point = grid_points(first.grid)[0]
            run = _first_point_run(first.experiment, first.preset, {**first.params, **point})
        except FigureError:
            continue  # the article shows its author the problem; the home page shows another figure
        except Exception:  # an experiment that left the registry must not take the home page down
            log.exception("could not look up the first figure of %s", article.slug)
            continue
        if run is not None:
            return HomeFigure(article=article, run=run, caption=first.caption)
    return None
