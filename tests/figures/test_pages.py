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


def test_readers_without_javascript_get_the_table_of_a_run_that_finished_after_publishing(
    client, alice, deep_linear_outcomes
):
    from apps.experiments.models import Run, RunResult

    body = "```figure\nexperiment: deep_linear\npreset: smoke\ngrid: {init_scale: [0.001, 0.01]}\ncaption: c\n```\n"
    article = Article.objects.create(title="Fig", slug="late", summary="s", body=body)
    version = article_publish(article=article, changelog="first", by=alice)
    assert "<table" not in version.rendered_html  # nothing had finished when it was cached
    html = client.get("/perspectives/late/").content.decode()
    assert "<table" not in html and "still being computed" in html

    run = Run.objects.get(config__init_scale=0.001)
    outcome = deep_linear_outcomes[0.001]
    RunResult.objects.create(run=run, data=outcome.result)
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest=outcome.digest)
    html = client.get("/perspectives/late/").content.decode()
    noscript = html[html.index("<noscript") : html.index("</noscript>")]
    assert noscript.count("<table") == 1 and "init_scale = 0.001" in noscript and "s = 3" in noscript
    assert "Other settings are still being computed" in noscript


def test_a_run_page_shows_each_claim_against_the_number_that_tests_it(client, finished_run):
    import re

    run = finished_run(0.001)
    html = client.get(run.get_absolute_url()).content.decode()
    table = html[html.index('class="metrics-table claims-table"') : html.index("</table>", html.index("claims-table"))]
    assert "Every mode&#x27;s strength follows Saxe et al." in table and "within 5% of its singular value" in table
    assert "max_rel_error</span> = 0.0" in table and "&lt; 0.05" in table
    assert table.count("✓ holds") == 2 and "✗ fails" not in table
    # Readable numbers: no float noise such as 0.011234567890123 anywhere in the measurements.
    assert not re.search(r"\d\.\d{7,}", html[html.index("claims-table") : html.index("Download:")])
