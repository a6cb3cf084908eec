"""Asking for runs and steering them: quotas, requests, publishing to the queue, cancel, requeue, reproduce.

Who may ask for how much is decided in apps.accounts.trust; what a run costs
and how it is computed, by its kind's executor (apps/experiments/executors.py).
A run is stored before its message is sent, so a broker outage never loses one
(the reaper publishes what is left queued: apps/experiments/services/lifecycle.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.trust import RunAllowance, RunPermission
from apps.accounts.trust import run_permission as trust_run_permission
from apps.core.requesters import PERSON_PRIORITY, Requester, SystemRequest
from apps.experiments.executors import RunPlan, TimeLimits, executor_for
from apps.experiments.models import (
    ACTIVE,
    Experiment,
    ExperimentKind,
    Run,
    RunEvent,
    RunStatus,
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
    return reproduction_enqueue(run, requested_by=person, message="waiting for a worker (reproduction)")


def reproduction_enqueue(run: Run, *, message: str, **fields: Any) -> Run:
    """Create a reproduction of ``run`` (its configuration, seed, code and cache key) and queue it after commit.

    ``fields`` are the new run's own (who requested it, why, its priority); callers check who may ask first.
    """
    with transaction.atomic():
        copy = Run.objects.create(
            experiment=run.experiment,
            preset=run.preset,
            config=run.config,
            seed=run.seed,
            config_hash=run.config_hash,
            code_hash=run.code_hash,
            cache_key=run.cache_key,
            reproduction_of=run,
            message=message,
            **fields,
        )
        enqueue(copy)
    return copy
