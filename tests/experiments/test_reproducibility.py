"""The site re-checks the runs behind published figures: when their code changes, weekly, within a budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.core.requesters import PUBLICATION
from apps.experiments import services
from apps.experiments.executors import Computed
from apps.experiments.models import Run
from apps.experiments.reproducibility import recheck_published_figures

pytestmark = pytest.mark.django_db


def _published(finished_run) -> Run:
    """A finished run that a published figure draws (publishing asks for it again and finds it)."""
    run = finished_run()
    again, created = services.run_request(
        requester=PUBLICATION, experiment="deep_linear", params=run.config, preset=run.preset
    )
    assert again.pk == run.pk and not created
    run.refresh_from_db()
    assert run.behind_published_figure
    return run


def _finish(copy: Run, digest: str, code_hash: str) -> Run:
    claim = services.run_claim(run_id=copy.pk, worker="w1")
    provenance = {"code_hash": code_hash, "device": "cpu", "git_commit": "abc1234def"}
    services.run_finish(claim=claim, computed=Computed(result={"x": [1.0]}, provenance=provenance, digest=digest))
    copy.refresh_from_db()
    return copy


def test_a_changed_code_hash_triggers_a_recheck_whose_outcome_the_page_shows(client, finished_run) -> None:
    run = _published(finished_run)
    assert recheck_published_figures(cpu_budget_s=600).queued == []  # fresh and current: nothing is due
    Run.objects.filter(pk=run.pk).update(code_hash="0ld0c0de0ld0c0de")  # it ran under older code
    report = recheck_published_figures(cpu_budget_s=600)
    [(copy, why)] = report.queued
    assert copy.reproduction_of_id == run.pk and why == "its experiment's code changed"
    assert copy.requested_by is None and copy.priority > 0  # behind the work people wait for
    assert recheck_published_figures(cpu_budget_s=600).queued == []  # one re-check at a time
    checked = _finish(copy, run.digest, code_hash="newc0denewc0de00")
    assert checked.reproduction_outcome == "matched"
    page = client.get("/experiments/reproducibility/").content.decode()
    assert f'#{checked.pk}</a>: <strong class="verdict verdict-holds">✓ matched</strong>' in page
    assert "abc1234def" in page


def test_a_week_without_a_check_is_due_and_the_budget_is_kept(finished_run) -> None:
    run = _published(finished_run)
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=8))
    assert recheck_published_figures(cpu_budget_s=0).queued == []  # nothing fits a zero budget
    assert recheck_published_figures(cpu_budget_s=0).over_budget == 1
    [(copy, why)] = recheck_published_figures(cpu_budget_s=600).queued
    assert why == "a week without a check"


def test_a_forged_digest_change_without_a_code_change_is_flagged_to_the_editors(
    ed, finished_run, django_capture_on_commit_callbacks
) -> None:
    run = _published(finished_run)
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=8))
    [(copy, _)] = recheck_published_figures(cpu_budget_s=600).queued
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        checked = _finish(copy, "f" * 64, code_hash=run.code_hash)  # same code, another result
    assert checked.reproduction_outcome == "differed"
    assert [m.to for m in mail.outbox] == [[ed.email]]
    assert "no longer reproduces" in mail.outbox[0].subject and f"run #{run.pk}" in mail.outbox[0].subject


def test_a_changed_result_after_a_code_change_is_shown_but_not_flagged(
    ed, finished_run, django_capture_on_commit_callbacks
):
    run = _published(finished_run)
    Run.objects.filter(pk=run.pk).update(code_hash="0ld0c0de0ld0c0de")
    [(copy, _)] = recheck_published_figures(cpu_budget_s=600).queued
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        checked = _finish(copy, "f" * 64, code_hash="newc0denewc0de00")
    assert checked.reproduction_outcome == "differed" and mail.outbox == []


def test_a_figure_says_when_its_run_was_last_rechecked_and_a_new_check_refreshes_the_cached_page(client) -> None:
    from apps.experiments.models import RunResult, RunStatus
    from apps.experiments.reproducibility import run_recheck
    from tests.factories import make_article

    make_article("fig", body="```figure\nexperiment: deep_linear\npreset: smoke\ncaption: c\n```\n")
    run = Run.objects.get()
    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, digest="d1", finished_at=timezone.now())
    RunResult.objects.create(run=run, data={"x": [1.0]})
    first = client.get("/perspectives/fig/")
    assert "Not re-run by the site yet." in first.content.decode()
    assert client.get("/perspectives/fig/")["X-Page-Cache"] == "hit"

    checked = _finish(run_recheck(run=run), "d1", code_hash=run.code_hash)
    again = client.get("/perspectives/fig/")
    assert again["X-Page-Cache"] == "miss"  # the finished re-check made the stored page stale
    page = again.content.decode()
    assert "Not re-run by the site yet." not in page
    assert 'at commit <code>abc1234def</code>: <strong class="verdict verdict-holds">✓ matched</strong>' in page
    assert f'(<a href="{checked.get_absolute_url()}">run #{checked.pk}</a>)' in page
