"""The worker's side of a run: claims, leases, outcomes, reaping, worker heartbeats, and who hears when a run ends.

The Run row is the truth. A worker claims a run with a conditional UPDATE
(attempt + 1, a lease, its worker id), renews the lease while it works, and
may finish the run only while it still holds that lease; so a message that is
delivered twice, or a worker that comes back from the dead, changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.core import pagecache
from apps.experiments.executors import Computed, executor_for
from apps.experiments.models import (
    Run,
    RunEvent,
    RunResult,
    RunStatus,
    WorkerHeartbeat,
)
from apps.experiments.services.requesting import UNPUBLISHED_GRACE, run_cache_key, run_publish

log = logging.getLogger(__name__)


# --- Workers --------------------------------------------------------------------


def worker_beat(*, name: str, queues: str, concurrency: int, started_at: datetime) -> None:
    """Record that worker ``name`` is alive now (its reaper calls this every pass)."""
    WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={
            "queues": queues[:200],
            "concurrency": concurrency,
            "started_at": started_at,
            "last_seen": timezone.now(),
        },
    )


def workers_alive() -> QuerySet[WorkerHeartbeat]:
    """Workers heard from within three reaper periods (a worker that stopped beating is presumed gone)."""
    recent = timezone.now() - timedelta(seconds=3 * settings.RUNS_REAP_INTERVAL_SECONDS + 5)
    return WorkerHeartbeat.objects.filter(last_seen__gte=recent)


# --- Who hears when a run ends -------------------------------------------------

RunListener = Callable[[Run], None]
_finish_listeners: list[RunListener] = []


def on_run_finished(listener: RunListener) -> None:
    """Call ``listener(run)`` after a run succeeds or fails (not when cancelled), once its outcome is committed.

    Other apps register when they load (AppConfig.ready), as with executors:
    the forum tells the requester in their inbox. A listener that raises is
    logged and never affects the run or the other listeners.
    """
    if listener not in _finish_listeners:
        _finish_listeners.append(listener)


def _announce_finished(run_id: int) -> None:
    def announce() -> None:
        run = Run.objects.select_related("experiment", "requested_by").get(pk=run_id)
        for listener in list(_finish_listeners):
            try:
                listener(run)
            except Exception:
                log.exception("a listener failed on the end of run %s", run_id)

    transaction.on_commit(announce)


# --- The worker's side -----------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    run_id: int
    worker: str
    attempt: int


def run_claim(*, run_id: int, worker: str) -> Claim | None:
    """Take a queued run (or a running one whose lease expired) for ``worker``; None if not ours to take.

    Past RUNS_MAX_ATTEMPTS the run is failed instead, with a message saying so.
    """
    now = timezone.now()
    takeable = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, lease_expires_at__lt=now)
    capped = Run.objects.filter(takeable, pk=run_id, attempts__gte=settings.RUNS_MAX_ATTEMPTS).update(
        status=RunStatus.FAILED,
        finished_at=now,
        lease_expires_at=None,
        error=f"Gave up after {settings.RUNS_MAX_ATTEMPTS} attempts: the worker was lost each time.",
        message="failed: too many attempts",
    )
    if capped:
        return None
    lease = now + timedelta(seconds=settings.RUNS_LEASE_SECONDS)
    taken = Run.objects.filter(takeable, pk=run_id).update(
        status=RunStatus.RUNNING,
        attempts=F("attempts") + 1,
        lease_expires_at=lease,
        worker=worker,
        started_at=now,
        message="started",
        progress=0.0,
    )
    if not taken:
        return None
    attempt = Run.objects.values_list("attempts", flat=True).get(pk=run_id)
    return Claim(run_id=run_id, worker=worker, attempt=attempt)


def worker_is_gone(worker: str) -> bool:
    """Whether ``worker`` ("host:pid") is a process of this machine that no longer exists.

    Only a holder on this host can be checked; elsewhere the lease decides.
    (A reused pid reads as alive, which only makes the caller wait for the lease.)
    """
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def run_release_from_dead_worker(*, run_id: int) -> bool:
    """End the lease of a running run whose holder on this machine has died, so it can be claimed at once.

    A worker's pool process killed mid-run gets its message redelivered to a
    sibling at once; without this it would wait for the lease to expire.
    """
    holder = Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).values_list("worker", flat=True).first()
    if holder is None or not worker_is_gone(holder):
        return False
    released = Run.objects.filter(pk=run_id, status=RunStatus.RUNNING, worker=holder).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    if released:
        log.info("run %s: its worker %s has died; releasing its lease", run_id, holder)
    return bool(released)


def _held(claim: Claim) -> Q:
    return Q(pk=claim.run_id, status=RunStatus.RUNNING, worker=claim.worker, attempts=claim.attempt)


def run_renew_lease(*, claim: Claim, progress: float | None = None, message: str | None = None) -> str:
    """Extend the lease (and store progress); returns "held", "cancelled" or "lost"."""
    fields: dict[str, Any] = {"lease_expires_at": timezone.now() + timedelta(seconds=settings.RUNS_LEASE_SECONDS)}
    if progress is not None:
        fields["progress"] = progress
    if message is not None:
        fields["message"] = message[:300]
    if Run.objects.filter(_held(claim)).update(**fields):
        return "held"
    status = Run.objects.filter(pk=claim.run_id).values_list("status", flat=True).first()
    return "cancelled" if status == RunStatus.CANCELLED else "lost"


def run_rekey(*, claim: Claim) -> str | None:
    """Give a just-claimed run the cache key of the code that will compute it; returns a reason to fail, or None.

    A run queued before its experiment's code changed is computed by the new
    code, so its code hash and cache key follow. A reproduction keeps the
    original's keys (its verdict compares like with like). If an identical run
    under the new code exists already, this one is superseded.
    """
    run = Run.objects.select_related("experiment").get(pk=claim.run_id)
    if run.reproduction_of_id is not None:
        return None
    code = executor_for(run.experiment.kind).current_code_hash(run)
    if code == run.code_hash:
        return None
    key = run_cache_key(run.experiment_id, run.config_hash, code)
    try:
        with transaction.atomic():
            Run.objects.filter(_held(claim)).update(code_hash=code, cache_key=key)
    except IntegrityError:
        other = Run.objects.live().originals().filter(cache_key=key).values_list("pk", flat=True).first()
        return f"The experiment's code changed after this run was queued; run #{other} computes it with the new code."
    log.info("run %s re-keyed: code %s -> %s", run.pk, run.code_hash, code)
    return None


def run_finish(*, claim: Claim, computed: Computed) -> bool:
    """Store the result and mark the run succeeded, only if ``claim`` still holds it.

    A reproduction also records whether it agreed with the original.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("experiment").filter(_held(claim)).first()
        if run is None:
            return False
        match, outcome = None, ""
        if run.reproduction_of_id is not None:
            original = Run.objects.select_related("result").get(pk=run.reproduction_of_id)
            if hasattr(original, "result"):
                match = executor_for(run.experiment.kind).reproduces(original, computed)
                outcome = "matched" if computed.digest == original.digest else ("agreed" if match else "differed")
        RunResult.objects.update_or_create(run=run, defaults={"data": computed.result})
        Run.objects.filter(_held(claim)).update(
            status=RunStatus.SUCCEEDED,
            progress=1.0,
            message="done",
            provenance=computed.provenance,
            digest=computed.digest,
            finished_at=timezone.now(),
            lease_expires_at=None,
            reproduced_match=match,
            reproduction_outcome=outcome,
        )
        _announce_finished(run.pk)
    # Pages whose figures waited for this run; for a reproduction, the figures that say how theirs was re-checked.
    changed = [claim.run_id] if run.reproduction_of_id is None else [claim.run_id, run.reproduction_of_id]
    pagecache.invalidate(*(pagecache.run(pk) for pk in changed))
    return True


def run_fail(*, claim: Claim, error: str, traceback: str = "", cancelled: bool = False) -> bool:
    """Mark the run failed (or cancelled) with a readable error, only if ``claim`` still holds it."""
    status = RunStatus.CANCELLED if cancelled else RunStatus.FAILED
    with transaction.atomic():
        changed = Run.objects.filter(_held(claim)).update(
            status=status,
            error=error[:5000],
            traceback=traceback[-20000:],
            finished_at=timezone.now(),
            lease_expires_at=None,
            message="cancelled" if cancelled else "failed",
        )
        if changed and not cancelled:
            _announce_finished(claim.run_id)
    return bool(changed)


def run_fail_hard_time_limit(*, run_id: int, limit_s: float) -> bool:
    """Fail a running run whose worker process was killed at the hard time limit (called by the worker parent)."""
    with transaction.atomic():
        changed = Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            lease_expires_at=None,
            message="failed: time limit",
            error=f"The run exceeded its hard time limit of {limit_s:g} s and its process was killed.",
        )
        if changed:
            _announce_finished(run_id)
    return bool(changed)


def _republish(run: Run, now: datetime) -> int:
    try:
        limits = executor_for(run.experiment.kind).time_limits(run)
    except (ValidationError, ImproperlyConfigured) as exc:  # the experiment is gone, or its kind
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=now, error=f"The experiment can no longer run: {exc}"
        )
        return 0
    return int(run_publish(run, limits))


def runs_reap_expired(*, take_back_expired: bool = True) -> int:
    """Give every stranded run a way forward; returns how many messages were sent again.

    Runs whose worker stopped renewing its lease go back to the queue (past
    RUNS_MAX_ATTEMPTS they fail instead; not at all when ``take_back_expired``
    is False, as a worker's reaper asks just after a database outage, while
    the holders renew); queued runs whose message never
    reached the broker are published again; and queued runs waiting longer
    than RUNS_REQUEUE_QUEUED_AFTER_SECONDS are published again when the
    broker holds fewer messages than there are queued runs (a message was
    lost, e.g. by a broker restart). A duplicate message is harmless: a run
    is claimed by one conditional update.
    """
    now = timezone.now()
    # An impossible condition when leases are left alone: the rest of the pass still runs.
    expired = Q(status=RunStatus.RUNNING, lease_expires_at__lt=now) if take_back_expired else Q(pk__in=[])
    Run.objects.filter(expired, attempts__gte=settings.RUNS_MAX_ATTEMPTS).update(
        status=RunStatus.FAILED,
        finished_at=now,
        lease_expires_at=None,
        message="failed: too many attempts",
        error=(
            f"Gave up after {settings.RUNS_MAX_ATTEMPTS} attempts: each time, the worker computing it "
            "stopped renewing its lease (it died or lost the database) before finishing."
        ),
    )
    count = 0
    for run in Run.objects.select_related("experiment").filter(expired):
        # Conditional, so that two reapers never both take the same run back.
        moved = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, lease_expires_at=run.lease_expires_at).update(
            status=RunStatus.QUEUED, lease_expires_at=None, message="requeued: its worker stopped answering"
        )
        if moved:
            RunEvent.objects.create(
                run=run, action=RunEvent.Action.LEASE_EXPIRED, note=f"worker {run.worker}, attempt {run.attempts}"
            )
            count += _republish(run, now)
    never_sent = Q(status=RunStatus.QUEUED, enqueued_at__isnull=True, created_at__lt=now - UNPUBLISHED_GRACE)
    candidates = list(Run.objects.select_related("experiment").filter(never_sent))
    stale = now - timedelta(seconds=settings.RUNS_REQUEUE_QUEUED_AFTER_SECONDS)
    waiting = list(Run.objects.select_related("experiment").filter(status=RunStatus.QUEUED, enqueued_at__lt=stale))
    if waiting:
        from config.celery import queue_depth

        depth = queue_depth("experiments")
        if depth is None or depth < Run.objects.filter(status=RunStatus.QUEUED).count():
            candidates += waiting
    for run in candidates:
        # Conditional on the last publication, so that two reapers never both send it.
        taken = Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED, enqueued_at=run.enqueued_at).update(
            enqueued_at=now
        )
        if taken:
            why = "never sent" if run.enqueued_at is None else f"queued since {run.enqueued_at:%H:%M:%S} UTC"
            RunEvent.objects.create(run=run, action=RunEvent.Action.REPUBLISHED, note=why)
            count += _republish(run, now)
    if count:
        log.info("reaper sent %d run message(s) again", count)
    return count
