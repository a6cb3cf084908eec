"""The person who requested a run hears in their inbox when it ends; the site's own runs tell nobody."""

from __future__ import annotations

import pytest

from apps.core.requesters import SystemRequest
from apps.experiments import services
from apps.experiments.executors import Computed
from apps.forum.models import Notification

pytestmark = pytest.mark.django_db


def _claimed(requester, steps: int):
    run, _ = services.run_request(
        requester=requester, experiment="deep_linear", params={"steps": steps}, preset="smoke"
    )
    return run, services.run_claim(run_id=run.pk, worker="w1")


def test_a_succeeded_run_puts_a_notice_in_the_requesters_inbox(bob, client, django_capture_on_commit_callbacks):
    run, claim = _claimed(bob, 111)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_finish(claim=claim, computed=Computed(result={"x": [1.0]}, provenance={}, digest="d"))
    notice = Notification.objects.get(user=bob)
    assert notice.kind == "run" and f"run #{run.pk}" in notice.message and "succeeded" in notice.message
    client.force_login(bob)
    inbox = client.get("/forum/inbox/").content.decode()
    assert f"Your run #{run.pk} of" in inbox
    assert client.get(f"/forum/inbox/{notice.pk}/")["Location"] == run.get_absolute_url()


def test_a_failed_run_says_why_and_a_cancelled_one_says_nothing(bob, django_capture_on_commit_callbacks):
    run, claim = _claimed(bob, 112)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_fail(claim=claim, error="The loss diverged.")
    assert "failed: The loss diverged." in Notification.objects.get(user=bob).message
    _, claim = _claimed(bob, 113)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_fail(claim=claim, error="Cancelled.", cancelled=True)
    assert Notification.objects.filter(user=bob).count() == 1


def test_a_run_the_site_asked_for_tells_nobody(django_capture_on_commit_callbacks):
    _, claim = _claimed(SystemRequest("test"), 114)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_finish(claim=claim, computed=Computed(result={"x": [1.0]}, provenance={}, digest="d"))
    assert not Notification.objects.exists()
