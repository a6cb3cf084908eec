"""A draft's runs stay as private as the draft: the attack is an outsider opening them by id, anywhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from apps.experiments.models import Run, RunResult
from apps.submissions import services
from apps.submissions.models import State, Submission
from tests.factories import GOOD_SOURCE, SPEC

pytestmark = pytest.mark.django_db

SECRET = "SECRET_SOURCE_LINE = 41"

PATHS = (
    "/experiments/runs/{pk}/",
    "/experiments/runs/{pk}/status.json",
    "/experiments/runs/{pk}/figure.json",
    "/experiments/runs/{pk}/data.json",
    "/experiments/runs/{pk}/data.csv",
    "/experiments/runs/{pk}/result.json",
    "/experiments/runs/{pk}/result.csv",
    "/api/v1/runs/{pk}/",
    "/api/v1/runs/{pk}/result/",
    "/api/v1/runs/{pk}/result.csv",
)


@pytest.fixture
def private_runs(alice: Any, ed: Any) -> tuple[Submission, Run, Run]:
    """A draft by alice with an approved experiment: one run that succeeded, one that failed with a traceback."""
    draft = services.submission_create(
        author=alice, fields={"title": "Unpublished idea", "summary": "S", "body": "Body."}
    )
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    done, _ = services.author_experiment_run(experiment=exp, user=alice)
    RunResult.objects.create(run=done, data={"x": [0.0, 1.0], "y": [0.0, 1.0]})
    Run.objects.filter(pk=done.pk).update(status="succeeded", digest="d" * 64, finished_at=timezone.now())
    failed, _ = services.author_experiment_run(experiment=exp, user=alice, preset="full")
    Run.objects.filter(pk=failed.pk).update(
        status="failed", error=f"ValueError at {SECRET}", traceback=f'File "experiment.py", line 3\n  {SECRET}'
    )
    return draft, done, failed


def _client(client: Any, user: Any | None) -> Any:
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("who", ["anonymous", "mallory"])
def test_an_outsider_cannot_open_a_drafts_runs_by_id_anywhere(client, private_runs, who, mallory) -> None:
    _, done, failed = private_runs
    reader = _client(client, None if who == "anonymous" else mallory)
    for run in (done, failed):
        for path in PATHS:
            response = reader.get(path.format(pk=run.pk))
            assert response.status_code == 404, (path, response.status_code)
            assert b"Unpublished idea" not in response.content and SECRET.encode() not in response.content
    listed = reader.get("/api/v1/runs/").json()["results"]
    assert {r["id"] for r in listed}.isdisjoint({done.pk, failed.pk})


@pytest.mark.parametrize("who", ["alice", "ed", "bob"])
def test_authors_editors_and_reviewers_see_the_runs_and_the_traceback(
    client, private_runs, who, alice, ed, bob
) -> None:
    draft, done, failed = private_runs
    if who == "bob":
        services.submission_submit(submission=draft, user=alice)
        services.submission_assign_reviewer(submission=Submission.objects.get(pk=draft.pk), editor=ed, reviewer=bob)
    reader = _client(client, {"alice": alice, "ed": ed, "bob": bob}[who])
    assert reader.get(f"/experiments/runs/{done.pk}/result.json").status_code == 200
    page = reader.get(f"/experiments/runs/{failed.pk}/").content.decode()
    assert SECRET in page
    assert done.pk in {r["id"] for r in reader.get("/api/v1/runs/").json()["results"]}


def test_once_published_the_runs_are_public_but_their_source_lines_are_not(client, private_runs) -> None:
    draft, done, failed = private_runs
    Submission.objects.filter(pk=draft.pk).update(state=State.PUBLISHED)
    assert client.get(f"/experiments/runs/{done.pk}/result.json").status_code == 200
    page = client.get(f"/experiments/runs/{failed.pk}/")
    assert page.status_code == 200 and SECRET.encode() not in page.content
    assert SECRET not in client.get(f"/api/v1/runs/{failed.pk}/").json()["error"]
    assert SECRET not in client.get(f"/experiments/runs/{failed.pk}/status.json").json()["error"]


def test_a_private_runs_downloads_are_never_kept_by_shared_caches(client, private_runs, alice) -> None:
    _, done, _ = private_runs
    response = _client(client, alice).get(f"/experiments/runs/{done.pk}/result.json")
    assert response["Cache-Control"].startswith("private") and "Cookie" in response["Vary"]


def test_an_outsider_cannot_start_a_discussion_of_a_drafts_run(client, private_runs, mallory) -> None:
    from apps.forum.models import Category

    Category.objects.create(slug="general", name="General")
    _, done, _ = private_runs
    reader = _client(client, mallory)
    assert reader.get(f"/forum/new/?target=experiments.run:{done.pk}").status_code == 404
    response = reader.post(
        "/api/v1/forum/threads/",
        {"category": "general", "title": "Look", "body": "At this run.", "target": f"experiments.run:{done.pk}"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "target" in response.json()["error"]["fields"]
