"""The ``default:`` key of a figure directive: the grid point a figure opens on, chosen by its author."""

from __future__ import annotations

import pytest

from apps.core.rendering import FigureError, render_markdown
from apps.core.rendering.directives import DirectiveError, parse_directive
from apps.core.requesters import SystemRequest
from apps.experiments.embeds import figure_resolver
from tests.figures.test_figures import directive, points_of

pytestmark = pytest.mark.django_db

GRID = {"init_scale": [0.001, 0.01]}


def test_the_default_key_is_read_from_the_directive():
    parsed = parse_directive(
        "experiment: deep_linear\ngrid: {init_scale: [0.001, 0.01]}\ndefault: {init_scale: 0.01}\n", index=0, line=1
    )
    assert parsed.default == {"init_scale": 0.01}


def test_a_default_that_is_not_a_mapping_is_refused_when_parsed():
    with pytest.raises(DirectiveError, match="'default' must map grid parameters"):
        parse_directive("experiment: deep_linear\ngrid: {init_scale: [0.001, 0.01]}\ndefault: 0.01\n", index=0, line=1)


def test_the_figure_opens_on_the_authors_default_point(finished_run):
    runs = [finished_run(0.001), finished_run(0.01)]
    html = figure_resolver(directive(grid=GRID, default={"init_scale": 0.01}), requester=SystemRequest("test"))
    assert 'data-default="1"' in html
    assert '<option value="0.01" selected>0.01</option>' in html and '<option value="0.001">' in html
    image = html[html.index('<img class="lm-figure-image"') :].split(">", 1)[0]
    assert f"/experiments/runs/{runs[1].pk}/figure.svg" in image  # the image is the default point's
    assert f'href="/experiments/runs/{runs[1].pk}/data.csv"' in html  # and so are the links
    assert [p["run"] for p in points_of(html)] == [r.pk for r in runs]  # the grid's order is kept


def test_without_a_default_the_figure_opens_on_the_first_point(finished_run):
    first = finished_run(0.001)
    html = figure_resolver(directive(grid=GRID), requester=SystemRequest("test"))
    assert 'data-default="0"' in html and f"/experiments/runs/{first.pk}/figure.svg" in html


@pytest.mark.parametrize(
    ("default", "message"),
    [
        ({"lr": 0.05}, "default.lr: 'lr' is not a grid parameter (the grid varies init_scale)"),
        ({"init_scale": 0.5}, "default.init_scale: 0.5 is not one of the grid's values (0.001, 0.01)"),
    ],
)
def test_a_default_outside_the_grid_is_an_error_naming_the_key(default, message):
    with pytest.raises(FigureError) as excinfo:
        figure_resolver(directive(grid=GRID, default=default), requester=None)
    assert str(excinfo.value) == message


def test_a_bad_default_is_shown_to_the_author_in_the_draft():
    body = "```figure\nexperiment: deep_linear\ngrid: {init_scale: [0.001, 0.01]}\ndefault: {init_scale: 3}\n```\n"
    rendered = render_markdown(body, figure_resolver=lambda d: figure_resolver(d, requester=None))
    assert "default.init_scale: 3 is not one of the grid" in rendered.html
