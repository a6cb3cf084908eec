"""BokehJS is served from the installed package and loaded only on pages that have figures."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders

from apps.perspectives.models import Article
from apps.perspectives.services import article_publish

pytestmark = pytest.mark.django_db


def test_bokehjs_is_found_in_the_installed_bokeh_package():
    import bokeh

    path = finders.find("bokeh/bokeh.min.js")
    assert path and path.startswith(str(bokeh.__path__[0]))
    assert finders.find("bokeh/bokeh-widgets.min.js") in (None, [])  # only what the figures need


def test_a_page_without_figures_loads_no_bokehjs(client, alice):
    article = Article.objects.create(title="Plain", slug="plain", summary="s", body="Just text and $x^2$.")
    article_publish(article=article, changelog="first", by=alice)
    html = client.get("/perspectives/plain/").content.decode()
    assert "bokeh" not in html.lower() and "figures.js" not in html


def test_a_page_with_a_figure_loads_bokehjs_and_figures_js_without_inline_scripts(client, alice, finished_run):
    finished_run()
    body = "```figure\nexperiment: deep_linear\npreset: smoke\nparams: {init_scale: 0.001}\ncaption: c\n```\n"
    article = Article.objects.create(title="Fig", slug="fig", summary="s", body=body)
    article_publish(article=article, changelog="first", by=alice)
    response = client.get("/perspectives/fig/")
    html = response.content.decode()
    assert '<script src="/static/bokeh/bokeh.min.js" defer></script>' in html
    assert '<script src="/static/js/figures.js" defer></script>' in html
    assert "<script>" not in html and " onclick=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_a_succeeded_run_page_embeds_its_figure(client, finished_run):
    run = finished_run()
    html = client.get(run.get_absolute_url()).content.decode()
    assert f'data-figure-id="lm-run-figure-{run.pk}"' in html
    assert "/static/bokeh/bokeh.min.js" in html
    assert f"/experiments/runs/{run.pk}/figure.json" in html.replace("&quot;", '"')


def test_a_queued_run_page_loads_no_bokehjs(client, make_run):
    run = make_run({"init_scale": 0.001}, "queued")
    assert "bokeh" not in client.get(run.get_absolute_url()).content.decode().lower()
