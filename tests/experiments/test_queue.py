"""The queue: what people wait for goes first, and a queued run says where it stands and when it should run."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.requesters import LOADSITE, PRECOMPUTE
from apps.experiments.models import Run
from apps.experiments.queue import describe, queue_place
from apps.experiments.services import run_request

pytestmark = pytest.mark.django_db


def _ask(requester, steps: int) -> Run:
    run, _ = run_request(requester=requester, experiment="deep_linear", params={"steps": steps}, preset="smoke")
    return run


def _history(seconds: float, count: int = 3) -> None:
    """Earlier successful deep_linear smoke runs that each took ``seconds``."""
    now = timezone.now()
    for i in range(count):
        run = _ask(PRECOMPUTE, 900 + i)
        Run.objects.filter(pk=run.pk).update(
            status="succeeded", started_at=now - timedelta(seconds=seconds), finished_at=now
        )


def test_a_persons_run_goes_ahead_of_the_sites_own_work(bob, task_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        background = _ask(PRECOMPUTE, 101)
        content = _ask(LOADSITE, 102)
        mine = _ask(bob, 103)
    assert (background.priority, content.priority, mine.priority) == (6, 3, 0)
    assert queue_place(mine).position == 1 and queue_place(content).position == 2
    assert queue_place(background).position == 3
    # The embedded broker hands the messages out in that order too.
    names = sorted(path.name for path in task_broker.glob("*.experiments.msg"))
    order = [json.loads(base64.b64decode(json.loads((task_broker / n).read_text())["body"]))[0][0] for n in names]
    assert order == [mine.pk, content.pk, background.pk]


def test_a_queued_run_is_told_its_place_and_when_it_should_start_and_finish(bob, mallory):
    _history(60.0)
    first, second = _ask(bob, 201), _ask(mallory, 202)
    place = queue_place(second)
    assert place.position == 2
    assert place.start_in_s == pytest.approx(60.0) and place.finish_in_s == pytest.approx(120.0)
    assert (
        describe(place)
        == "This run is number 2 in the queue. It should start in about 1 minute, and to finish in about 2 minutes."
    )
    assert describe(queue_place(first)).startswith("This run is next in the queue.")


def test_without_history_there_is_no_estimate_and_the_page_says_so(client, bob, mallory):
    first, second = _ask(bob, 301), _ask(mallory, 302)
    assert describe(queue_place(first)) == "This run is next in the queue. It should start in under a minute."
    assert "no estimate" in describe(queue_place(second))
    html = client.get(second.get_absolute_url()).content.decode()
    assert "number 2 in the queue" in html
    assert client.get(f"/experiments/runs/{second.pk}/status.json").json()["queue"].startswith("This run is number 2")


def test_a_run_the_site_asked_for_says_why(client):
    run = _ask(LOADSITE, 401)
    assert run.requested_because == "loading site/"
    assert "by the site (loading site/)" in client.get(run.get_absolute_url()).content.decode()


def test_the_queue_page_is_for_staff(client, bob, staff):
    client.force_login(bob)
    assert client.get("/experiments/queue/").status_code == 403
    client.force_login(staff)
    assert client.get("/experiments/queue/").status_code == 200


def test_staff_requeue_a_stuck_run_its_old_worker_cannot_finish_and_the_log_says_so(
    client, staff, bob, task_broker, django_capture_on_commit_callbacks
):
    from apps.experiments import services
    from apps.experiments.executors import Computed

    run = _ask(bob, 501)
    stuck = services.run_claim(run_id=run.pk, worker="gone:1")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/experiments/queue/{run.pk}/", {"action": "requeue"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "queued" and run.worker == "" and run.enqueued_at is not None
    assert len(list(task_broker.glob("*.experiments.msg"))) == 1
    assert services.run_finish(claim=stuck, computed=Computed(result={}, provenance={}, digest="x")) is False
    page = client.get("/experiments/queue/").content.decode()
    assert (
        f'requeued <a href="/experiments/runs/{run.pk}/">run #{run.pk}</a> (running, attempt 1, worker gone:1)' in page
    )


def test_staff_cancel_from_the_queue_is_logged(client, staff, bob):
    run = _ask(bob, 601)
    client.force_login(staff)
    client.post(f"/experiments/queue/{run.pk}/", {"action": "cancel"})
    run.refresh_from_db()
    assert run.status == "cancelled" and run.events.get().action == "cancelled"
    assert (
        f'cancelled <a href="/experiments/runs/{run.pk}/">run #{run.pk}</a> (queued)'
        in client.get("/experiments/queue/").content.decode()
    )
