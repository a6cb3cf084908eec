"""End-to-end runs through real Celery worker processes, over both brokers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from apps.experiments.models import Run, RunResult
from apps.experiments.services import run_cancel, run_reproduce, run_request
from tests.experiments.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("test_experiments")]


def _finished(run: Run) -> Run | None:
    run.refresh_from_db()
    return run if run.is_finished else None


def _state(run: Run, status: str) -> Run | None:
    run.refresh_from_db()
    return run if run.status == status else None


@pytest.fixture
def fs_broker(use_broker, tmp_path: Path) -> dict[str, str]:
    return use_broker("filesystem://", tmp_path / "broker")


@pytest.fixture
def redis_broker(use_broker, redis_url: str, tmp_path: Path) -> dict[str, str]:
    import redis

    url = redis_url.rsplit("/", 1)[0] + "/1"  # redis db 1 belongs to the run tests
    redis.Redis.from_url(url).flushdb()
    return use_broker(url, tmp_path / "unused")


@pytest.fixture(params=["filesystem", "redis"])
def any_broker(request) -> dict[str, str]:
    return request.getfixturevalue("fs_broker" if request.param == "filesystem" else "redis_broker")


def test_a_requested_run_is_computed_end_to_end_with_result_and_provenance(any_broker, workers, alice) -> None:
    worker = workers(any_broker)
    run, created = run_request(
        requester=alice, experiment="deep_linear", params={"steps": 400, "records": 20}, preset="smoke"
    )
    assert created
    run = wait_for(lambda: _finished(run), timeout=120, what="the run to finish", worker=worker)
    assert run.status == "succeeded", run.error
    assert run.attempts == 1
    assert run.result.data["metrics"]["order_correct"] in (True, False)
    assert run.provenance["result_digest"] == run.digest
    assert run.provenance["config_hash"] == run.config_hash
    # The worker says it is alive, with its node name and queues, for the queue page and the estimates.
    from apps.experiments.services import workers_alive

    beat = wait_for(lambda: workers_alive().first(), timeout=30, what="the worker's heartbeat", worker=worker)
    assert beat.name.startswith("w1@") and "experiments" in beat.queues.split(",")


def test_a_run_survives_its_worker_being_killed_and_completes_exactly_once(any_broker, workers, alice) -> None:
    first = workers(any_broker, "w1")
    run, _ = run_request(requester=alice, experiment="sleepy", params={"duration_s": 3.0}, preset="smoke")
    wait_for(lambda: _state(run, "running"), timeout=90, what="the run to start", worker=first)
    first.kill()  # SIGKILL to the whole process group, mid-run
    run.refresh_from_db()
    assert run.status == "running" and run.attempts == 1
    second = workers(any_broker, "w2")
    from apps.experiments.models import RunEvent

    run = wait_for(lambda: _finished(run), timeout=120, what="the run to finish on the new worker", worker=second)
    assert run.status == "succeeded", run.error
    assert run.attempts == 2
    assert RunResult.objects.filter(run=run).count() == 1
    # The reaper took it back from the silent worker, and the audit log says so.
    assert RunEvent.objects.filter(run=run, action=RunEvent.Action.LEASE_EXPIRED).count() == 1
    assert Run.objects.count() == 1


def test_a_failing_experiment_is_recorded_with_its_traceback_and_the_worker_keeps_serving(fs_broker, workers, bob):
    worker = workers(fs_broker)
    bad, _ = run_request(requester=bob, experiment="failing", params={"message": "the model exploded"}, preset="smoke")
    bad = wait_for(lambda: _finished(bad), timeout=90, what="the failing run", worker=worker)
    assert bad.status == "failed"
    assert "the model exploded" in bad.error
    assert "Traceback" in bad.traceback and "RuntimeError" in bad.traceback
    good, _ = run_request(requester=bob, experiment="noop", params={}, preset="smoke")
    good = wait_for(lambda: _finished(good), timeout=60, what="the next run", worker=worker)
    assert good.status == "succeeded"


def test_a_run_over_its_time_limit_fails_with_a_message_saying_so(fs_broker, workers, bob) -> None:
    worker = workers(fs_broker)
    run, _ = run_request(requester=bob, experiment="slow", params={"duration_s": 30.0}, preset="smoke")
    run = wait_for(lambda: _finished(run), timeout=90, what="the run to be stopped", worker=worker)
    assert run.status == "failed"
    assert "time limit" in run.error


def test_a_cancelled_run_stops_and_stays_cancelled(fs_broker, workers, bob) -> None:
    worker = workers(fs_broker)
    run, _ = run_request(requester=bob, experiment="sleepy", params={"duration_s": 60.0}, preset="smoke")
    wait_for(lambda: _state(run, "running"), timeout=90, what="the run to start", worker=worker)
    run_cancel(run=run, user=bob)
    follow, _ = run_request(requester=bob, experiment="noop", params={"label": "after"}, preset="smoke")
    # The worker only reaches the next run once it has stopped the cancelled one.
    wait_for(lambda: _finished(follow), timeout=60, what="the worker to move on", worker=worker)
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert not RunResult.objects.filter(run=run).exists()


def test_the_same_config_reproduced_on_cpu_gives_the_same_digest(fs_broker, workers, bob) -> None:
    worker = workers(fs_broker)
    run, _ = run_request(requester=bob, experiment="deep_linear", params={"steps": 300, "records": 15}, preset="smoke")
    run = wait_for(lambda: _finished(run), timeout=120, what="the original", worker=worker)
    again = run_reproduce(run=run, user=bob)
    again = wait_for(lambda: _finished(again), timeout=120, what="the reproduction", worker=worker)
    assert again.status == "succeeded"
    assert again.digest == run.digest
    assert again.reproduced_match is True


def test_invalid_parameters_are_rejected_by_field_and_nothing_is_enqueued(fs_broker, bob, tmp_path) -> None:
    with pytest.raises(ValidationError) as info:
        run_request(requester=bob, experiment="deep_linear", params={"steps": -5, "colour": "red"}, preset="smoke")
    assert {"steps", "colour"} <= set(info.value.message_dict)
    assert not Run.objects.exists()
    queue = tmp_path / "broker" / "queue"
    assert not queue.exists() or not any(queue.iterdir())


def test_an_identical_request_returns_the_existing_run_without_enqueueing_again(fs_broker, bob, alice, tmp_path):
    first, created = run_request(requester=bob, experiment="noop", params={"label": "same"}, preset="smoke")
    again, created_again = run_request(requester=alice, experiment="noop", params={"label": "same"}, preset="smoke")
    assert created and not created_again
    assert again.pk == first.pk
    assert len(list((tmp_path / "broker" / "queue").iterdir())) == 1


def test_a_run_that_ignores_its_soft_limit_is_killed_at_the_hard_limit_and_failed(fs_broker, workers, bob) -> None:
    # A message that reaches the worker while its pool replaces the killed process has been seen to never start
    # (once in a few loaded runs, 47 ms after the kill): the reaper's re-send of a run queued too long is what
    # brings it back, here after 5 s instead of RUNS_REQUEUE_QUEUED_AFTER_SECONDS' default 120.
    worker = workers({**fs_broker, "RUNS_REQUEUE_QUEUED_AFTER_SECONDS": "5"})
    run, _ = run_request(requester=bob, experiment="stubborn", params={"duration_s": 60.0}, preset="smoke")
    run = wait_for(lambda: _finished(run), timeout=90, what="the run to be killed", worker=worker)
    assert run.status == "failed"
    assert "hard time limit" in run.error
    follow, _ = run_request(requester=bob, experiment="noop", params={"label": "after-kill"}, preset="smoke")
    assert wait_for(lambda: _finished(follow), timeout=60, what="the next run", worker=worker).status == "succeeded"
