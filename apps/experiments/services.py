"""Writes on experiments and runs: request, cancel, reproduce, and the worker's side of a run.

The Run row is the truth. A worker claims a run with a conditional UPDATE
(attempt + 1, a lease, its worker id), renews the lease while it works, and
may finish the run only while it still holds that lease; so a message that is
delivered twice, or a worker that comes back from the dead, changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.trust import RunAllowance, RunPermission
from apps.accounts.trust import run_permission as trust_run_permission
from apps.core import pagecache
from apps.core.requesters import PERSON_PRIORITY, Requester, SystemRequest
from apps.experiments.executors import Computed, RunPlan, TimeLimits, executor_for
from apps.experiments.models import (
    ACTIVE,
    Experiment,
    ExperimentKind,
    Run,
    RunEvent,
    RunResult,
    RunStatus,
    WorkerHeartbeat,
)

log = logging.getLogger(__name__)

_synced = threading.Event()


def experiment_sync(*, force: bool = False) -> int:
    """Mirror compute.registry into Experiment rows (create, update, mark missing ones unavailable).

    Cheap, and done once per process unless ``force``; returns the number of
    registered experiments.
    """
    from compute import registry

    experiments = registry.all_experiments()
    # The count check keeps this honest when the table was emptied (tests flush it) after the first sync.
    if _synced.is_set() and not force and Experiment.objects.filter(available=True).count() == len(experiments):
        return len(experiments)
    with transaction.atomic():
        for exp in experiments.values():
            Experiment.objects.update_or_create(
                name=exp.name,
                defaults={"title": exp.title, "summary": exp.summary, "citation": exp.citation, "available": True},
            )
        Experiment.objects.exclude(name__in=list(experiments)).update(available=False)
    _synced.set()
    return len(experiments)


def run_cache_key(experiment: str, config_hash: str, code_hash: str) -> str:
    """The key under which identical requests share one run: sha256 of experiment, configuration and code."""
    return hashlib.sha256(f"{experiment}\n{config_hash}\n{code_hash}".encode()).hexdigest()


def _experiment(name: str) -> Experiment:
    """The Experiment row for ``name``; a registered reference experiment gets its row on first use."""
    from compute import registry

    row = Experiment.objects.filter(name=name).first()
    if row is not None:
        return row
    try:
        spec = registry.get(name)
    except registry.UnknownExperiment:
        raise ValidationError({"experiment": [f"There is no experiment named {name!r}."]}) from None
    row, _ = Experiment.objects.get_or_create(
        name=spec.name,
        defaults={
            "kind": ExperimentKind.REFERENCE,
            "title": spec.title,
            "summary": spec.summary,
            "citation": spec.citation,
        },
    )
    return row


def run_permission(requester: Requester) -> RunPermission:
    """What ``requester`` may have the site compute (apps.accounts decides); the site itself may run anything."""
    if isinstance(requester, SystemRequest):
        return RunPermission(RunAllowance.FULL)
    return trust_run_permission(requester if isinstance(requester, User) else None)


def run_ineligibility(requester: Requester) -> str | None:
    """Why ``requester`` may not have the site compute anything now (None if they may, if only starter runs)."""
    permission = run_permission(requester)
    return permission.reason if permission.allowance is RunAllowance.NONE else None


def _charged_person(requester: Requester) -> tuple[User | None, RunPermission]:
    """The person a request is charged to (None for the site) and their allowance; PermissionDenied if none."""
    permission = run_permission(requester)
    if permission.allowance is RunAllowance.NONE:
        raise PermissionDenied(permission.reason)
    return (requester if isinstance(requester, User) else None), permission


def _daily_limit(permission: RunPermission) -> int:
    if permission.allowance is RunAllowance.STARTER:
        return int(settings.RUNS_STARTER_PER_DAY)
    return int(settings.RUNS_MAX_PER_DAY_PER_USER)


def _check_quota(person: User, *, new_runs: int, permission: RunPermission) -> None:
    """Raise ValidationError (field ``quota``) if ``person`` may not start ``new_runs`` more runs now.

    A request is accepted while the person has fewer than
    RUNS_MAX_CONCURRENT_PER_USER runs queued or running (a new member, one);
    every new run it creates counts towards RUNS_MAX_PER_DAY_PER_USER in 24
    hours (a new member's towards RUNS_STARTER_PER_DAY). A figure's grid is one
    request of several runs. Staff run the site and are held to neither.
    """
    if person.is_staff or new_runs == 0:
        return
    starter = permission.allowance is RunAllowance.STARTER
    concurrent = 1 if starter else settings.RUNS_MAX_CONCURRENT_PER_USER
    active = Run.objects.active().filter(requested_by=person).count()
    if active >= concurrent:
        raise ValidationError(
            {
                "quota": [
                    f"You already have {active} run{'s' if active != 1 else ''} queued or running (the limit is "
                    f"{concurrent}); wait for one to finish or cancel one."
                ]
            }
        )
    limit = _daily_limit(permission)
    today = Run.objects.filter(requested_by=person, created_at__gte=timezone.now() - timedelta(days=1)).count()
    if today + new_runs > limit:
        asking = f"this needs {new_runs} new runs and you" if new_runs > 1 else "you"
        raise ValidationError(
            {
                "quota": [
                    f"You have requested {today} runs in the last 24 hours and {asking} may request "
                    f"{limit} in all; try again later."
                ]
            }
        )


def runs_left_today(user: User) -> tuple[int, int]:
    """(runs ``user`` may still request in the next 24 hours, their daily limit), for the pages to show."""
    limit = _daily_limit(run_permission(user))
    today = Run.objects.filter(requested_by=user, created_at__gte=timezone.now() - timedelta(days=1)).count()
    return max(0, limit - today), limit


# Publishing happens inside a web request: try the broker briefly, then leave the run to the reaper.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A queued run whose message never left is published again by the reaper after this long.
UNPUBLISHED_GRACE = timedelta(seconds=10)


def run_publish(run: Run, limits: TimeLimits) -> bool:
    """Send the task message of a queued run now; returns whether the broker took it.

    When the broker is down (or the embedded broker's disk is full) the run
    stays queued with ``enqueued_at`` empty and a message saying so, and the
    reaper publishes it again: a run row is never left without a way forward.
    """
    from apps.experiments.tasks import execute_run
    from config.celery import ensure_broker_folders

    try:
        ensure_broker_folders()
        execute_run.apply_async(
            args=[run.pk],
            queue="experiments",
            soft_time_limit=limits.soft_s,
            time_limit=limits.hard_s,
            priority=run.priority,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:  # any broker failure: the row stays the truth
        log.warning("could not publish run %s: %s", run.pk, exc)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            enqueued_at=None, message=f"waiting for the message broker ({reason}); it will be sent again"[:300]
        )
        return False
    Run.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    return True


def enqueue(run: Run) -> None:
    """Publish ``run`` once the current transaction commits (a worker must find its row), with its kind's limits."""
    limits = executor_for(run.experiment.kind).time_limits(run)
    transaction.on_commit(lambda: run_publish(run, limits))


@dataclass(frozen=True)
class RunAsk:
    """One configuration asked for: an experiment, parameter overrides and the preset they start from."""

    experiment: str
    params: Mapping[str, Any] | None = None
    preset: str | None = None


@dataclass
class _Planned:
    ask: RunAsk
    experiment: Experiment
    plan: RunPlan
    key: str


def runs_request(*, requester: Requester, asks: Sequence[RunAsk]) -> list[tuple[Run, bool]]:
    """For each ask, the live run of that configuration, or a new one queued for it; all or nothing.

    The one way anything asks for a run: the re-run form, the API, figure
    blocks in drafts and posts (charged to the person who wrote them),
    publishing and loading ``site/`` (explicit system requests). Identical
    configurations share one run and are never computed twice. Raises
    ValidationError (bad parameters, quota) or PermissionDenied (trust, or the
    experiment's own rule), and then writes and enqueues nothing. Returns
    (run, created) per ask, in order.
    """
    person, permission = _charged_person(requester)
    planned: list[_Planned] = []
    for ask in asks:
        experiment = _experiment(ask.experiment)
        executor = executor_for(experiment.kind)
        executor.authorize(experiment, requester)
        plan = executor.plan(experiment, ask.params, ask.preset or None)
        if permission.allowance is RunAllowance.STARTER and not executor.within_starter(experiment, plan):
            raise PermissionDenied(
                "This is larger than a starter run. " + permission.reason[0].upper() + permission.reason[1:]
            )
        key = run_cache_key(experiment.name, plan.config_hash, plan.code_hash)
        planned.append(_Planned(ask=ask, experiment=experiment, plan=plan, key=key))
    keys = {p.key for p in planned}
    for _ in range(3):
        existing = {run.cache_key: run for run in Run.objects.live().originals().filter(cache_key__in=keys)}
        if person is not None:
            _check_quota(person, new_runs=len(keys - set(existing)), permission=permission)
        created: dict[str, Run] = {}
        try:
            with transaction.atomic():
                for p in planned:
                    if p.key in existing or p.key in created:
                        continue
                    run = Run.objects.create(
                        experiment=p.experiment,
                        preset=p.ask.preset or "",
                        config=p.plan.config,
                        seed=p.plan.seed,
                        config_hash=p.plan.config_hash,
                        code_hash=p.plan.code_hash,
                        cache_key=p.key,
                        requested_by=person,
                        requested_because=requester.reason if isinstance(requester, SystemRequest) else "",
                        priority=requester.priority if isinstance(requester, SystemRequest) else PERSON_PRIORITY,
                        message="waiting for a worker",
                    )
                    enqueue(run)
                    created[p.key] = run
        except IntegrityError:
            # A concurrent identical request won the race; look again and return its run.
            continue
        outcomes = [(created[p.key], True) if p.key in created else (existing[p.key], False) for p in planned]
        if isinstance(requester, SystemRequest) and requester.publishes:
            # These runs now draw published figures: the site re-checks them (apps/experiments/reproducibility.py).
            Run.objects.filter(pk__in=[run.pk for run, _ in outcomes], behind_published_figure=False).update(
                behind_published_figure=True
            )
        return outcomes
    raise ValidationError({"__all__": ["Could not create the run; please try again."]})


def run_request(
    *, requester: Requester, experiment: str, params: Mapping[str, Any] | None, preset: str | None = None
) -> tuple[Run, bool]:
    """The live run for this experiment and configuration, or a new one queued for it: ``runs_request`` of one."""
    [outcome] = runs_request(requester=requester, asks=[RunAsk(experiment=experiment, params=params, preset=preset)])
    return outcome


def run_may_read_source(run: Run, user: User | AnonymousUser) -> bool:
    """Whether ``user`` may see a run's traceback and error text (which can quote the experiment's source)."""
    return executor_for(run.experiment.kind).may_read_source(run, user)


def run_is_public(run: Run) -> bool:
    """Whether anyone at all may see ``run`` (its responses may then be cached by shared caches)."""
    return Run.objects.visible_to(AnonymousUser()).filter(pk=run.pk).exists()


def run_may_manage(run: Run, user: User | AnonymousUser) -> bool:
    """Whether ``user`` may cancel or reproduce ``run``: the person who requested it, or staff."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or (run.requested_by_id is not None and run.requested_by_id == user.pk))


def run_cancel(*, run: Run, user: User | AnonymousUser) -> Run:
    """Cancel a queued or running run (owner or staff); the worker notices and stops. Recorded in the audit log."""
    if not run_may_manage(run, user):
        raise PermissionDenied("Only the person who requested a run, or staff, may cancel it.")
    with transaction.atomic():
        before = run.status
        cancelled = Run.objects.filter(pk=run.pk, status__in=ACTIVE).update(
            status=RunStatus.CANCELLED,
            message=f"cancelled by {user.get_username()}",
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        if cancelled:
            RunEvent.objects.create(
                run=run, actor=user if isinstance(user, User) else None, action=RunEvent.Action.CANCELLED, note=before
            )
    run.refresh_from_db()
    return run


def run_requeue(*, run: Run, staff: User | AnonymousUser) -> Run:
    """Put a queued or running run back at its place in the queue and send its message again (staff only).

    For a run whose worker seems stuck or whose message was lost: a running
    run's lease is ended, so its worker, if alive, stops at its next renewal
    and cannot record a result. Recorded in the audit log.
    """
    if not (isinstance(staff, User) and staff.is_staff):
        raise PermissionDenied("Only staff may requeue runs.")
    with transaction.atomic():
        locked = Run.objects.select_for_update().select_related("experiment").get(pk=run.pk)
        if locked.status not in ACTIVE:
            raise ValidationError({"run": [f"Only a queued or running run can be requeued; this one {locked.status}."]})
        note = f"{locked.status}, attempt {locked.attempts}, worker {locked.worker or 'none'}"
        # Queued and held by nobody: the old holder's claim no longer matches, so it can neither renew nor finish.
        Run.objects.filter(pk=locked.pk).update(
            status=RunStatus.QUEUED, lease_expires_at=None, worker="", message=f"requeued by {staff.get_username()}"
        )
        RunEvent.objects.create(run=locked, actor=staff, action=RunEvent.Action.REQUEUED, note=note[:300])
        enqueue(locked)
    run.refresh_from_db()
    return run


def run_reproduce(*, run: Run, user: User | AnonymousUser) -> Run:
    """Re-run a succeeded run ignoring the cache; the new run records whether it matched.

    Allowed to the person who requested the run and to staff, while they may
    request runs at all (a suspended member may not); charged to their quota.
    """
    if not run_may_manage(run, user):
        raise PermissionDenied("Only the person who requested this run, or staff, may reproduce it.")
    person, permission = _charged_person(user)
    assert person is not None
    if run.status != RunStatus.SUCCEEDED:
        raise ValidationError({"run": ["Only a run that succeeded can be reproduced."]})
    executor = executor_for(run.experiment.kind)
    executor.authorize(run.experiment, person)
    plan = RunPlan(config=run.config, seed=run.seed, config_hash=run.config_hash, code_hash=run.code_hash)
    if permission.allowance is RunAllowance.STARTER and not executor.within_starter(run.experiment, plan):
        raise PermissionDenied("This is larger than a starter run. " + permission.reason)
    _check_quota(person, new_runs=1, permission=permission)
    with transaction.atomic():
        copy = Run.objects.create(
            experiment=run.experiment,
            preset=run.preset,
            config=run.config,
            seed=run.seed,
            config_hash=run.config_hash,
            code_hash=run.code_hash,
            cache_key=run.cache_key,
            requested_by=person,
            reproduction_of=run,
            message="waiting for a worker (reproduction)",
        )
        enqueue(copy)
    return copy


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
