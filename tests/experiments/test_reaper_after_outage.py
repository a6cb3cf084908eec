"""After a database outage the reaper leaves expired leases to their holders for one lease period.

Every worker lost the database too: its lease keeper could not renew, so every
lease expired meanwhile. Taking them back at the first pass after the outage
would hand live runs (and finished results waiting to be saved) to other
workers to compute again; the fault-injection suite saw exactly that.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.experiments import services
from apps.experiments.execution import Reaper
from apps.experiments.models import Run, RunEvent

# transaction=True: a reaper pass closes its connection, as it does in a worker.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch) -> list[int]:
    """Record published runs instead of talking to a broker (the worker tests cover the broker)."""
    sent: list[int] = []
    monkeypatch.setattr("apps.experiments.tasks.execute_run.apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


def _held_with_expired_lease(user) -> Run:
    run, _ = services.run_request(requester=user, experiment="deep_linear", params={"steps": 321}, preset="smoke")
    services.run_claim(run_id=run.pk, worker="elsewhere:1")
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    return run


def test_a_reaper_whose_last_pass_failed_leaves_expired_leases_alone_for_a_lease_period(alice, settings) -> None:
    settings.RUNS_LEASE_SECONDS = 15
    run = _held_with_expired_lease(alice)
    reaper = Reaper(node="n1@test")
    reaper.failed = True  # its previous pass met the database down

    reaper.reap_once()

    run.refresh_from_db()
    assert run.status == "running" and run.worker == "elsewhere:1"
    assert not RunEvent.objects.filter(run=run, action=RunEvent.Action.LEASE_EXPIRED).exists()
    # The holder renews meanwhile, and the run stays its own.
    claim = services.Claim(run_id=run.pk, worker="elsewhere:1", attempt=1)
    assert services.run_renew_lease(claim=claim) == "held"


def test_after_the_grace_a_lease_that_stayed_expired_is_taken_back(alice, settings, _no_broker) -> None:
    settings.RUNS_LEASE_SECONDS = 15
    run = _held_with_expired_lease(alice)
    reaper = Reaper(node="n1@test")
    reaper.failed = True
    reaper.reap_once()
    reaper.grace_until = 0.0  # one lease period later: its holder never came back

    reaper.reap_once()

    run.refresh_from_db()
    assert run.status == "queued" and _no_broker[-1] == run.pk
    assert RunEvent.objects.filter(run=run, action=RunEvent.Action.LEASE_EXPIRED).count() == 1


def test_a_reaper_with_no_outage_behind_it_takes_expired_leases_back_at_once(alice) -> None:
    run = _held_with_expired_lease(alice)
    Reaper(node="n1@test").reap_once()
    run.refresh_from_db()
    assert run.status == "queued"
