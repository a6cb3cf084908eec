"""The home page opens on a live figure: the first figure of the newest article whose run has finished."""

from __future__ import annotations

import pytest

from apps.content.selectors import home_figure
from apps.experiments.models import RunStatus
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def figure_body(init_scale: float, caption: str = "Modes of a deep linear network.") -> str:
    return (
        "Intro.\n\n```figure\nexperiment: deep_linear\npreset: smoke\n"
        f"params: {{init_scale: {init_scale}}}\ncaption: {caption}\n```\n"
    )


def test_the_home_page_shows_the_first_figure_of_the_newest_article_with_a_finished_run(client, finished_run):
    run = finished_run(0.001)
    make_article("older", body=figure_body(0.001, "The older caption."), kind="tutorial")
    html = client.get("/").content.decode()
    assert 'class="home-figure"' in html
    assert f'id="lm-run-figure-{run.pk}"' in html
    assert "The older caption." in html and 'href="/perspectives/older/"' in html
    assert "js/figures.js" in html


def test_an_article_whose_figure_is_still_computing_is_passed_over(client, finished_run, make_run):
    done = finished_run(0.001)
    make_article("done", body=figure_body(0.001), kind="tutorial")
    make_run({"init_scale": 0.01}, RunStatus.RUNNING)
    make_article("newest", body=figure_body(0.01), kind="perspective")
    shown = home_figure()
    assert shown is not None and shown.article.slug == "done" and shown.run == done


def test_guides_and_articles_without_figures_give_no_home_figure(client, finished_run):
    finished_run(0.001)
    make_article("a-guide", body=figure_body(0.001), kind="guide")
    make_article("plain")
    assert home_figure() is None
    html = client.get("/").content.decode()
    assert 'class="home-figure"' not in html and "js/figures.js" not in html
    assert "Every figure is a live experiment" in html
