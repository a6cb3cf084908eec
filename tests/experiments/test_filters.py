"""RunFilter: the API's run list and any page that lists runs read the same query string the same way."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from apps.experiments.filters import RunFilter
from apps.experiments.models import Experiment, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(alice, bob) -> dict[str, Run]:
    deep_linear = Experiment.objects.create(name="deep_linear", title="Deep linear network")
    grokking = Experiment.objects.create(name="grokking", title="Grokking")

    def run(key: str, experiment: Experiment, status: str, by) -> Run:
        return Run.objects.create(
            experiment=experiment,
            config={},
            config_hash=key,
            code_hash="c",
            cache_key=key,
            status=status,
            requested_by=by,
        )

    return {
        "alice-done": run("k1", deep_linear, "succeeded", alice),
        "alice-queued": run("k2", grokking, "queued", alice),
        "bob-done": run("k3", grokking, "succeeded", bob),
        "system": run("k4", deep_linear, "failed", None),
    }


def _filtered(query: str, user) -> RunFilter:
    request = RequestFactory().get(f"/runs/?{query}")
    request.user = user
    return RunFilter(QueryDict(query), queryset=Run.objects.all(), request=request)


def _api(client, query: str):
    return client.get(f"/api/v1/runs/?{query}")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("experiment=grokking", {"alice-queued", "bob-done"}),
        ("status=succeeded", {"alice-done", "bob-done"}),
        ("experiment=deep_linear&status=failed", {"system"}),
        ("requested_by=alice", {"alice-done", "alice-queued"}),
        ("mine=true", {"alice-done", "alice-queued"}),
        ("mine=false&status=succeeded", {"alice-done", "bob-done"}),
        ("experiment=no_such_experiment", set()),
    ],
)
def test_the_filter_and_the_api_select_the_same_runs(runs, client, alice, query, expected) -> None:
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    filters = _filtered(query, alice)
    assert filters.is_valid()
    in_api = {run["id"] for run in _api(client, query).json()["results"]}
    assert {run.pk for run in filters.qs} == in_api == {runs[name].pk for name in expected}


def test_mine_is_nothing_for_an_anonymous_caller(runs, client) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert list(_filtered("mine=true", AnonymousUser()).qs) == []
    assert _api(client, "mine=true").json()["results"] == []


@pytest.mark.parametrize(("query", "field"), [("status=done", "status"), ("mine=yes", "mine")])
def test_an_invalid_value_is_an_error_naming_the_field(runs, client, alice, query, field) -> None:
    filters = _filtered(query, alice)
    assert not filters.is_valid()
    assert list(filters.errors) == [field]
    response = _api(client, query)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def _page_runs(client, query: str) -> set[int]:
    import re

    html = client.get(f"/experiments/deep_linear/?{query}").content.decode()
    return {int(pk) for pk in re.findall(r'<a href="/experiments/runs/(\d+)/">#', html)}


@pytest.mark.parametrize("query", ["status=succeeded", "mine=true", "status=failed", "requested_by=alice"])
def test_the_experiment_page_lists_the_runs_the_api_lists(runs, client, alice, query) -> None:
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    in_api = {run["id"] for run in _api(client, f"experiment=deep_linear&{query}").json()["results"]}
    assert _page_runs(client, query) == in_api


def test_the_experiment_page_answers_an_invalid_filter_with_a_visible_error(runs, client) -> None:
    response = client.get("/experiments/deep_linear/?status=done")
    assert response.status_code == 400
    assert b"Status: Select a valid choice" in response.content
