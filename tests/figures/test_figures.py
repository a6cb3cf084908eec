"""The figure resolver: directive validation, runs per grid point, the placeholder, and publishing."""

from __future__ import annotations

import functools
import json
import re

import pytest
from django.core.exceptions import ValidationError

from apps.core.rendering import FigureDirective, FigureError, render_markdown
from apps.core.requesters import SystemRequest
from apps.experiments.embeds import figure_resolver
from apps.experiments.models import Run
from apps.perspectives.models import Article, Version
from apps.perspectives.services import article_publish

pytestmark = pytest.mark.django_db

GRID_FIGURE = (
    "```figure\nexperiment: deep_linear\npreset: smoke\ngrid: {init_scale: [0.001, 0.01]}\n"
    "caption: Modes $s_i(t)$ against time.\n```\n"
)


def directive(**fields) -> FigureDirective:
    base = {
        "experiment": "deep_linear",
        "preset": "smoke",
        "params": {},
        "grid": {},
        "caption": "c",
        "index": 0,
        "line": 1,
    }
    return FigureDirective(**{**base, **fields})


def points_of(html: str) -> list[dict]:
    match = re.search(r'data-points="([^"]*)"', html)
    assert match, html
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"experiment": "no_such_thing"}, "experiment"),
        ({"preset": "gigantic"}, "preset"),
        ({"params": {"lr": "fast"}}, "params.lr"),
        ({"params": {"warp_drive": 1}}, "warp_drive"),
        ({"grid": {"init_scale": [0.001, -5.0]}}, "grid.init_scale"),
        ({"grid": {"nonsense": [1, 2]}}, "grid.nonsense"),
        ({"grid": {"init_scale": [0.001 * (i + 1) for i in range(8)], "lr": [0.01, 0.02]}}, "grid"),
    ],
)
def test_a_bad_directive_raises_a_figure_error_naming_the_field(fields, named):
    with pytest.raises(FigureError) as excinfo:
        figure_resolver(directive(**fields), requester=SystemRequest("test"))
    assert named in str(excinfo.value)
    assert not Run.objects.exists()


def test_a_bad_directive_is_shown_inline_and_listed_in_errors():
    source = "Text.\n\n```figure\nexperiment: deep_linear\ngrid: {init_scale: [0.001, -5]}\ncaption: x\n```\n"
    out = render_markdown(source, figure_resolver=functools.partial(figure_resolver, requester=None))
    assert "figure-error" in out.html and "grid.init_scale" in out.html
    assert any("grid.init_scale" in e for e in out.errors)


def test_resolving_for_publish_requests_one_run_per_grid_point_once(alice):
    html = figure_resolver(directive(grid={"init_scale": [0.001, 0.01]}), requester=SystemRequest("test"))
    runs = list(Run.objects.order_by("pk"))
    assert [r.config["init_scale"] for r in runs] == [0.001, 0.01]
    assert all(r.requested_by is None and r.status == "queued" for r in runs)
    points = points_of(html)
    assert [p["run"] for p in points] == [r.pk for r in runs]
    assert [p["choice"] for p in points] == [["0.001"], ["0.01"]]
    assert points[0]["figure"] == f"/experiments/runs/{runs[0].pk}/figure.json"
    figure_resolver(directive(grid={"init_scale": [0.001, 0.01]}), requester=SystemRequest("test"))
    assert Run.objects.count() == 2  # never computed twice


def test_a_preview_without_requests_creates_no_runs_but_finds_finished_ones(finished_run):
    run = finished_run(0.001)
    html = figure_resolver(directive(grid={"init_scale": [0.001, 0.01]}), requester=None)
    assert Run.objects.count() == 1
    assert [p["run"] for p in points_of(html)] == [run.pk, None]


def test_the_placeholder_shows_the_image_with_hidden_controls_links_and_a_data_table_for_a_finished_run(finished_run):
    run = finished_run(0.001)
    html = figure_resolver(
        directive(grid={"init_scale": [0.001, 0.01]}, caption="Hello"), requester=SystemRequest("test")
    )
    assert 'class="lm-figure lm-figure-live"' in html and 'data-figure-id="lm-figure-1"' in html
    image = html[html.index('<img class="lm-figure-image"') :].split(">", 1)[0]
    assert f'src="/experiments/runs/{run.pk}/figure.svg"' in image and 'width="640" height="400"' in image
    assert (
        'style="aspect-ratio: 640 / 400; --lm-figure-width: 640px; --lm-figure-height: 400px"' in html
    )  # the box is reserved before the image arrives
    assert '<div class="lm-figure-controls" hidden>' in html  # no dead control without JavaScript
    assert '<select id="lm-figure-1-init_scale" data-grid-key="init_scale">' in html
    assert '<label for="lm-figure-1-init_scale">init_scale</label>' in html
    assert "show theory" in html and 'class="lm-figure-plot"' in html
    assert f'href="/experiments/runs/{run.pk}/data.csv"' in html
    assert f'href="/experiments/runs/{run.pk}/data.json"' in html
    assert f'href="/experiments/runs/{run.pk}/">run #{run.pk}</a>' in html
    assert 'href="/experiments/deep_linear/?preset=smoke&amp;init_scale=0.001"' in html
    data = html[html.index('<details class="lm-figure-data">') : html.index("</details>")]
    assert "<summary>Data table</summary>" in data and "<table" in data and "s = 3" in data


def test_publishing_an_article_with_a_bad_figure_is_refused_and_saves_nothing(alice):
    article = Article.objects.create(
        title="T", slug="t", summary="s", body="Hi.\n\n" + GRID_FIGURE.replace("0.01]", "-3]")
    )
    with pytest.raises(ValidationError) as excinfo:
        article_publish(article=article, changelog="first", by=alice)
    assert "grid.init_scale" in " ".join(excinfo.value.message_dict["body"])
    assert not Version.objects.exists() and not Run.objects.exists()


def test_publishing_caches_a_placeholder_that_names_the_runs(alice):
    article = Article.objects.create(title="T", slug="t", summary="s", body="Hi.\n\n" + GRID_FIGURE)
    version = article_publish(article=article, changelog="first", by=alice)
    runs = list(Run.objects.order_by("pk"))
    assert len(runs) == 2
    assert [p["run"] for p in points_of(version.rendered_html)] == [r.pk for r in runs]
    assert "<math" in version.rendered_html  # the caption's math survived


def test_the_deep_linear_article_in_site_embeds_a_grid_and_every_site_figure_validates():
    from django.conf import settings

    from apps.core.rendering.directives import parse_directive

    parsed = {}
    for path in sorted((settings.BASE_DIR / "site").rglob("*.md")):
        blocks = re.findall(r"^```figure\n(.*?)^```", path.read_text(), flags=re.S | re.M)
        parsed[path.name] = [parse_directive(b, index=i, line=1) for i, b in enumerate(blocks)]
    deep = [d for d in parsed["solvable-settings.md"] if d.experiment == "deep_linear"]
    assert deep and any(len(v) >= 2 for d in deep for v in d.grid.values())
    for directives in parsed.values():
        for d in directives:
            figure_resolver(d, requester=None)  # raises FigureError if it does not validate


def test_loadsite_refuses_an_article_whose_figure_does_not_validate_and_writes_nothing(tmp_path):
    from apps.content.errors import SiteContentError
    from apps.content.loader import site_load

    root = tmp_path / "site"
    (root / "perspectives").mkdir(parents=True)
    (root / "perspectives" / "bad.md").write_text(
        '---\ntitle: "Bad"\nsummary: "s"\nkind: perspective\nauthors:\n  - name: "A. Author"\n---\n\n'
        "```figure\nexperiment: deep_linear\nparams: {lr: 7}\ncaption: c\n```\n"
    )
    with pytest.raises(SiteContentError) as excinfo:
        site_load(root=root)
    assert "perspectives/bad.md" in str(excinfo.value) and "params.lr" in str(excinfo.value)
    assert not Article.objects.exists() and not Run.objects.exists()
