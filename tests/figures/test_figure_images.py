"""Static figure images: drawn by the worker when a run finishes, served with validators, shown first."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from PIL import Image

from apps.experiments.embeds import figure_version
from apps.experiments.execution import execute_run
from apps.experiments.images import drawing_version, run_image_after_finish
from apps.experiments.models import Run, RunFigureImage, RunResult
from apps.perspectives.models import Article
from apps.perspectives.services import article_publish
from compute.plotting import THEME

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_a_run_the_worker_finishes_gets_its_figure_image_and_the_item_figure_json_serves(client, make_run):
    run = make_run({"init_scale": 0.01}, "queued")
    assert execute_run(run.pk) == "succeeded"
    run.refresh_from_db()
    image = RunFigureImage.objects.get(run=run)
    assert image.digest == run.digest and image.style == figure_version(run)
    assert image.svg.startswith("<svg") and 'role="img"' in image.svg and "s = 0.5" in image.svg
    png = Image.open(io.BytesIO(bytes(image.png)))
    assert png.format == "PNG" and png.size == (2 * image.width, 2 * image.height)
    assert len(image.svg.encode()) < 20_000  # a few kilobytes, not a canvas dump
    served = client.get(f"/experiments/runs/{run.pk}/figure.json").json()
    assert served["status"] == "succeeded" and served["item"] == json.loads(image.item)
    assert served["item"]["doc"]["roots"][0]["attributes"]["sizing_mode"] == "stretch_both"


def test_a_figure_that_cannot_be_drawn_leaves_the_run_succeeded_and_says_so(client, finished_run, caplog):
    run = finished_run()
    RunResult.objects.filter(run=run).update(data={"not": "what the figure builder reads"})
    run.refresh_from_db()
    assert run_image_after_finish(run.pk) is None  # logged, never raised
    assert "could not draw the figure image" in caplog.text
    run.refresh_from_db()
    assert run.status == "succeeded" and not RunFigureImage.objects.filter(run=run).exists()
    response = client.get(f"/experiments/runs/{run.pk}/figure.svg")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "could not be drawn" in response.content.decode()


def test_the_image_is_served_with_an_etag_that_follows_the_figure_code_and_answers_304(client, finished_run):
    run = finished_run()
    response = client.get(f"/experiments/runs/{run.pk}/figure.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "public, max-age=3600"  # then revalidated: a restyle reaches readers
    assert figure_version(run) in response["ETag"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    again = client.get(f"/experiments/runs/{run.pk}/figure.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"] and not again.content


def test_the_image_follows_the_readers_mode_unless_a_mode_is_pinned(client, finished_run):
    run = finished_run()
    auto = client.get(f"/experiments/runs/{run.pk}/figure.svg").content.decode()
    dark = client.get(f"/experiments/runs/{run.pk}/figure.svg?theme=dark")
    light = client.get(f"/experiments/runs/{run.pk}/figure.svg?theme=light").content.decode()
    assert "@media (prefers-color-scheme:dark)" in auto
    style = re.search(r"<style>(.*?)</style>", dark.content.decode()).group(1)
    assert "@media" not in style and f".ftext{{fill:{THEME['dark']['text'].lower()}}}" in style
    assert f".ftext{{fill:{THEME['light']['text'].lower()}}}" in light and "@media" not in light
    assert dark["ETag"] != client.get(f"/experiments/runs/{run.pk}/figure.svg")["ETag"]


def test_a_run_from_before_images_gets_one_on_its_first_request_and_keeps_it(client, finished_run):
    run = finished_run()
    assert not RunFigureImage.objects.filter(run=run).exists()
    client.get(f"/experiments/runs/{run.pk}/figure.svg")
    drawn = RunFigureImage.objects.get(run=run).drawn_at
    client.get(f"/experiments/runs/{run.pk}/figure.svg")
    assert RunFigureImage.objects.get(run=run).drawn_at == drawn


def test_the_command_draws_missing_and_stale_images_only(finished_run, capsys):
    fresh, stale = finished_run(0.001), finished_run(0.01)
    call_command("figure_images")
    assert RunFigureImage.objects.count() == 2
    RunFigureImage.objects.filter(run=stale).update(style="older")
    call_command("figure_images")
    assert "Drew 1 figure image(s); 0 could not be drawn" in capsys.readouterr().out.splitlines()[-1]
    assert RunFigureImage.objects.get(run=stale).style == figure_version(stale)
    assert RunFigureImage.objects.get(run=fresh).style == figure_version(fresh)


def test_a_run_still_computing_or_failed_shows_a_picture_that_says_so(client, make_run):
    running = make_run({"init_scale": 0.01}, "running")
    response = client.get(f"/experiments/runs/{running.pk}/figure.svg")
    assert response["Cache-Control"] == "no-store" and "Computing this figure" in response.content.decode()
    failed = make_run({"init_scale": 0.001}, "failed", error="boom")
    response = client.get(f"/experiments/runs/{failed.pk}/figure.svg")
    assert response["Cache-Control"] == "public, max-age=60" and "run failed" in response.content.decode()
    assert client.get(f"/experiments/runs/{failed.pk}/figure.png").status_code == 404


def test_the_png_for_social_previews_is_drawn_when_first_asked_for(client, finished_run):
    run = finished_run()
    client.get(f"/experiments/runs/{run.pk}/figure.svg")  # as a page would: the SVG only
    assert not bytes(RunFigureImage.objects.get(run=run).png)
    response = client.get(f"/experiments/runs/{run.pk}/figure.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = RunFigureImage.objects.get(run=run)
    assert Image.open(io.BytesIO(response.content)).size == (2 * image.width, 2 * image.height)
    assert client.get(f"/experiments/runs/{run.pk}/figure.png", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_an_author_runs_image_is_drawn_from_its_figure_spec(client, alice, ed):
    from apps.submissions import services
    from tests.factories import GOOD_SOURCE, SPEC

    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": "B"})
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="exp", source=GOOD_SOURCE, figure_spec=SPEC
    )
    exp = services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    RunResult.objects.create(run=run, data={"x": [0.0, 1.0, 2.0, 3.0], "y": [0.0, 1.0, 4.0, 9.0]})
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest="d" * 64)
    client.force_login(alice)  # a draft's run: its authors see it
    svg = client.get(f"/experiments/runs/{run.pk}/figure.svg").content.decode()
    assert "<title>squares</title>" in svg and "n squared" in svg  # the spec's title and its series' key


@pytest.mark.sandbox
@pytest.mark.django_db(transaction=True)
def test_an_author_run_finished_in_the_sandbox_gets_its_image(alice, ed, settings, machine_lock):
    import os

    from apps.submissions import services
    from compute import sandbox
    from tests.factories import GOOD_SOURCE, SPEC

    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the sandbox must run under CI: {exc}")
        pytest.skip(str(exc))
    from tests.sandbox import SLOT

    settings.SANDBOX_SLOT_BASE = SLOT  # this test process's own slot, held alone for the test
    with machine_lock(f"sandbox-slot-{SLOT}"):
        draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": "B"})
        exp = services.author_experiment_save(
            submission=draft, user=alice, name="exp", source=GOOD_SOURCE, figure_spec=SPEC
        )
        exp = services.author_experiment_approve(
            experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
        )
        run, _ = services.author_experiment_run(experiment=exp, user=alice)
        assert execute_run(run.pk) == "succeeded"
    assert "<title>squares</title>" in RunFigureImage.objects.get(run=run).svg


def test_an_article_names_its_first_figure_as_its_open_graph_image(client, alice, finished_run):
    run = finished_run()
    body = "```figure\nexperiment: deep_linear\npreset: smoke\nparams: {init_scale: 0.001}\ncaption: c\n```\n"
    article = Article.objects.create(title="Fig", slug="fig", summary="s", body=body)
    article_publish(article=article, changelog="first", by=alice)
    html = client.get("/perspectives/fig/").content.decode()
    assert 'property="og:image"' not in html  # no image has been drawn yet: no preview promised
    client.get(f"/experiments/runs/{run.pk}/figure.svg")
    html = client.get("/perspectives/fig/").content.decode()
    og = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert og.startswith("http") and f"/experiments/runs/{run.pk}/figure.png?v=" in og
    width = 2 * RunFigureImage.objects.get(run=run).width  # the PNG is drawn at twice the figure's size
    assert f'<meta property="og:image:width" content="{width}">' in html


def test_a_page_cached_before_its_run_finished_gets_the_images_size_and_version(client, alice, deep_linear_outcomes):
    body = "```figure\nexperiment: deep_linear\npreset: smoke\nparams: {init_scale: 0.001}\ncaption: c\n```\n"
    article = Article.objects.create(title="Fig", slug="late", summary="s", body=body)
    version = article_publish(article=article, changelog="first", by=alice)
    run = Run.objects.get()
    assert f'data-lm-size-run="{run.pk}"' in version.rendered_html  # the size was a guess when it was cached
    outcome = deep_linear_outcomes[0.001]
    RunResult.objects.create(run=run, data=outcome.result)
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest=outcome.digest)
    run.refresh_from_db()
    # A builder may draw another size than the default; the page must reserve the image's own.
    RunFigureImage.objects.create(
        run=run, svg="<svg/>", width=640, height=800, digest=run.digest, style=figure_version(run)
    )
    html = client.get("/perspectives/late/").content.decode()
    assert 'style="aspect-ratio: 640 / 800; --lm-figure-width: 640px; --lm-figure-height: 800px"' in html
    assert "data-lm-size-run" not in html
    image = html[html.index('<img class="lm-figure-image"') :].split(">", 1)[0]
    assert 'width="640" height="800"' in image and f"/figure.svg?v={drawing_version()}" in image


def test_the_home_page_tag_shows_a_runs_image_linked_to_its_run(finished_run):
    from django.template import Context, Template

    from apps.experiments.images import run_image

    run = finished_run()
    run_image(run)  # drawn, as the worker does when a run finishes
    html = Template("{% load experiment_figures %}{% figure_image run %}").render(Context({"run": run}))
    assert f'href="/experiments/runs/{run.pk}/"' in html
    image = RunFigureImage.objects.get(run=run)
    assert f'src="/experiments/runs/{run.pk}/figure.svg?v=' in html
    assert f'width="{image.width}" height="{image.height}"' in html
    assert 'alt="Plot: ' in html and 'loading="lazy"' in html
