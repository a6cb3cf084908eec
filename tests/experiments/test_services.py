from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.core.requesters import SystemRequest
from apps.experiments import services
from apps.experiments.executors import Computed
from apps.experiments.models import Experiment, Run, RunResult

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Record enqueued runs instead of talking to a broker (the worker tests cover the broker)."""
    sent: list[int] = []
    monkeypatch.setattr("apps.experiments.tasks.execute_run.apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


def _request(user, **params):
    return services.run_request(requester=user, experiment="deep_linear", params=params, preset="smoke")


def test_experiment_sync_mirrors_the_registry() -> None:
    services.experiment_sync(force=True)
    row = Experiment.objects.get(name="deep_linear")
    assert row.title == "Deep linear network dynamics"
    assert "Saxe" in row.citation


def test_an_anonymous_user_cannot_request_a_run() -> None:
    with pytest.raises(PermissionDenied):
        _request(AnonymousUser())
    assert not Run.objects.exists()


def test_a_request_is_enqueued_after_the_transaction_commits(alice, _no_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run, created = _request(alice, steps=500)
    assert created and run.status == "queued"
    assert _no_broker == [run.pk]
    assert run.config["steps"] == 500 and run.config["hidden"] == 16  # canonical: defaults included


def test_an_identical_request_returns_the_existing_run(alice, bob) -> None:
    first, _ = _request(alice, steps=500)
    again, created = _request(bob, steps=500)
    assert not created and again.pk == first.pk
    assert Run.objects.count() == 1


def test_a_failed_run_does_not_block_a_new_request(alice) -> None:
    first, _ = _request(alice)
    Run.objects.filter(pk=first.pk).update(status="failed")
    second, created = _request(alice)
    assert created and second.pk != first.pk


def test_invalid_parameters_raise_field_errors_and_save_nothing(alice) -> None:
    with pytest.raises(ValidationError) as info:
        _request(alice, lr="fast", hidden=10_000)
    assert {"lr", "hidden"} <= set(info.value.message_dict)
    assert not Run.objects.exists()


def test_an_unknown_experiment_is_a_field_error(alice) -> None:
    with pytest.raises(ValidationError) as info:
        services.run_request(requester=alice, experiment="perpetual_motion", params={})
    assert "experiment" in info.value.message_dict


def test_the_concurrent_run_quota_names_itself(alice, settings) -> None:
    settings.RUNS_MAX_CONCURRENT_PER_USER = 2
    _request(alice, steps=100)
    _request(alice, steps=200)
    with pytest.raises(ValidationError) as info:
        _request(alice, steps=300)
    assert "quota" in info.value.message_dict


def test_the_daily_quota_counts_finished_runs_too(alice, settings) -> None:
    settings.RUNS_MAX_PER_DAY_PER_USER = 1
    run, _ = _request(alice, steps=100)
    Run.objects.filter(pk=run.pk).update(status="succeeded")
    with pytest.raises(ValidationError) as info:
        _request(alice, steps=200)
    assert "24 hours" in info.value.message_dict["quota"][0]


def test_system_requests_ignore_quotas(settings) -> None:
    settings.RUNS_MAX_CONCURRENT_PER_USER = 1
    for steps in (100, 200, 300):
        services.run_request(requester=SystemRequest("test"), experiment="deep_linear", params={"steps": steps})
    assert Run.objects.count() == 3


def test_only_the_owner_or_staff_can_cancel(alice, mallory, admin_user) -> None:
    run, _ = _request(alice)
    with pytest.raises(PermissionDenied):
        services.run_cancel(run=run, user=mallory)
    assert services.run_cancel(run=run, user=admin_user).status == "cancelled"


def test_a_claim_is_exclusive_and_a_second_delivery_does_nothing(alice) -> None:
    run, _ = _request(alice)
    claim = services.run_claim(run_id=run.pk, worker="w1")
    assert claim is not None and claim.attempt == 1
    assert services.run_claim(run_id=run.pk, worker="w2") is None


def test_a_worker_that_lost_its_lease_cannot_finish(alice) -> None:
    run, _ = _request(alice)
    stale = services.run_claim(run_id=run.pk, worker="w1")
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    fresh = services.run_claim(run_id=run.pk, worker="w2")
    assert fresh is not None and fresh.attempt == 2
    assert services.run_finish(claim=stale, computed=Computed(result={"a": 1}, provenance={}, digest="x")) is False
    assert services.run_finish(claim=fresh, computed=Computed(result={"a": 2}, provenance={}, digest="y")) is True
    run.refresh_from_db()
    assert run.status == "succeeded" and run.result.data == {"a": 2}
    assert RunResult.objects.count() == 1


def test_the_reaper_requeues_an_expired_lease_and_fails_after_the_attempt_cap(
    alice, settings, _no_broker, django_capture_on_commit_callbacks
):
    settings.RUNS_MAX_ATTEMPTS = 2
    run, _ = _request(alice)
    services.run_claim(run_id=run.pk, worker="w1")
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_reap_expired() == 1
    run.refresh_from_db()
    assert run.status == "queued" and _no_broker[-1] == run.pk
    services.run_claim(run_id=run.pk, worker="w2")
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.runs_reap_expired() == 0
    run.refresh_from_db()
    assert run.status == "failed" and "2 attempts" in run.error


def test_a_cancelled_run_reports_cancelled_to_its_worker(alice) -> None:
    run, _ = _request(alice)
    claim = services.run_claim(run_id=run.pk, worker="w1")
    services.run_cancel(run=run, user=alice)
    assert services.run_renew_lease(claim=claim, progress=0.5) == "cancelled"


def test_a_reproduction_matches_only_with_an_identical_digest_on_cpu(alice) -> None:
    run, _ = _request(alice)
    claim = services.run_claim(run_id=run.pk, worker="w1")
    services.run_finish(claim=claim, computed=Computed(result={"x": [1.0]}, provenance={"device": "cpu"}, digest="d1"))
    run.refresh_from_db()
    copy = services.run_reproduce(run=run, user=alice)
    claim = services.run_claim(run_id=copy.pk, worker="w1")
    services.run_finish(
        claim=claim, computed=Computed(result={"x": [1.0000001]}, provenance={"device": "cpu"}, digest="d2")
    )
    copy.refresh_from_db()
    assert copy.reproduction_of_id == run.pk
    assert copy.reproduced_match is False


def test_a_gpu_reproduction_agrees_within_the_experiment_tolerance(alice) -> None:
    run, _ = _request(alice)
    claim = services.run_claim(run_id=run.pk, worker="w1")
    services.run_finish(
        claim=claim, computed=Computed(result={"x": [1.0]}, provenance={"device": "cuda:0"}, digest="d1")
    )
    run.refresh_from_db()
    copy = services.run_reproduce(run=run, user=alice)
    claim = services.run_claim(run_id=copy.pk, worker="w1")
    services.run_finish(
        claim=claim, computed=Computed(result={"x": [1.0 + 1e-12]}, provenance={"device": "cuda:0"}, digest="d2")
    )
    copy.refresh_from_db()
    assert copy.reproduced_match is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_create_one_run(alice, bob) -> None:
    import threading

    from django.db import connection

    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def ask(user) -> None:
        try:
            barrier.wait(timeout=10)
            run, _ = services.run_request(
                requester=user, experiment="deep_linear", params={"steps": 777}, preset="smoke"
            )
            results.append(run.pk)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(u,)) for u in (alice, bob, alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(set(results)) == 1 and len(results) == 4
    assert Run.objects.count() == 1


def test_a_queued_run_whose_code_changed_is_rekeyed_when_it_starts(alice) -> None:
    run, _ = _request(alice, steps=321)
    current_code, current_key = run.code_hash, run.cache_key
    stale_key = services.run_cache_key(run.experiment_id, run.config_hash, "0ld0c0de")
    Run.objects.filter(pk=run.pk).update(code_hash="0ld0c0de", cache_key=stale_key)  # queued under older code
    claim = services.run_claim(run_id=run.pk, worker="w1")
    assert services.run_rekey(claim=claim) is None
    run.refresh_from_db()
    assert (run.code_hash, run.cache_key) == (current_code, current_key)
    again, created = _request(alice, steps=321)
    assert not created and again.pk == run.pk  # an identical request now finds it


def test_a_queued_run_superseded_by_one_under_the_new_code_is_not_computed(alice) -> None:
    old, _ = _request(alice, steps=654)
    stale_key = services.run_cache_key(old.experiment_id, old.config_hash, "0ld0c0de")
    Run.objects.filter(pk=old.pk).update(code_hash="0ld0c0de", cache_key=stale_key)
    new, created = _request(alice, steps=654)  # asked again after the code changed
    assert created
    claim = services.run_claim(run_id=old.pk, worker="w1")
    reason = services.run_rekey(claim=claim)
    assert reason is not None and f"run #{new.pk}" in reason
