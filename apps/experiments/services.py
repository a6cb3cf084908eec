"""Writes on experiments and runs: request, cancel, reproduce, and the worker's side of a run.

The Run row is the truth. A worker claims a run with a conditional UPDATE
(attempt + 1, a lease, its worker id), renews the lease while it works, and
may finish the run only while it still holds that lease; so a message that is
delivered twice, or a worker that comes back from the dead, changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.experiments.models import ACTIVE, Experiment, Run, RunResult, RunStatus

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


def _spec(name: str) -> Any:
    from compute import registry

    try:
        return registry.get(name)
    except registry.UnknownExperiment:
        raise ValidationError({"experiment": [f"There is no experiment named {name!r}."]}) from None


def _cache_key(experiment: str, config_hash: str, code_hash: str) -> str:
    return hashlib.sha256(f"{experiment}\n{config_hash}\n{code_hash}".encode()).hexdigest()


def _check_quota(user: Any) -> None:
    active = Run.objects.active().filter(requested_by=user).count()
    if active >= settings.RUNS_MAX_CONCURRENT_PER_USER:
        raise ValidationError(
            {
                "quota": [
                    f"You already have {active} runs queued or running (the limit is "
                    f"{settings.RUNS_MAX_CONCURRENT_PER_USER}); wait for one to finish or cancel one."
                ]
            }
        )
    today = Run.objects.filter(requested_by=user, created_at__gte=timezone.now() - timedelta(days=1)).count()
    if today >= settings.RUNS_MAX_PER_DAY_PER_USER:
        raise ValidationError(
            {
                "quota": [
                    f"You have requested {today} runs in the last 24 hours (the limit is "
                    f"{settings.RUNS_MAX_PER_DAY_PER_USER}); try again later."
                ]
            }
        )


def _enqueue(run: Run, spec: Any) -> None:
    """Send the task message for ``run`` once the current transaction commits."""

    def send() -> None:
        from apps.experiments.tasks import execute_run
        from config.celery import ensure_broker_folders

        ensure_broker_folders()
        execute_run.apply_async(
            args=[run.pk],
            queue="experiments",
            soft_time_limit=spec.soft_time_limit_s,
            time_limit=spec.hard_time_limit_s,
        )

    Run.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    transaction.on_commit(send)


def run_request(
    *,
    user: Any,
    experiment: str,
    params: dict[str, Any] | None,
    preset: str | None = None,
    enforce_quota: bool = True,
) -> tuple[Run, bool]:
    """Return the live run for this experiment and configuration, or create and enqueue one.

    Raises ValidationError with a field dict on unknown experiment, bad
    parameters or an exhausted quota; nothing is written or enqueued then.
    ``user`` None is a system request (precompute, article figures); an
    anonymous user may not request runs.
    """
    from compute.protocol import ConfigError
    from compute.runner import canonical_config, code_hash, config_hash

    if user is not None and not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to request a run.")
    if user is not None:
        from apps.forum.trust import can_request_runs

        if not can_request_runs(user):
            # New accounts (forum trust level 0) and suspended members may not
            # spend the site's compute; see apps/forum/trust.py.
            raise PermissionDenied(
                "New accounts can request runs once they are a day old and have taken part in the forum "
                "(three posts); suspended accounts cannot request runs."
            )
    spec = _spec(experiment)
    if params is not None and not isinstance(params, dict):
        raise ValidationError({"params": ["Parameters must be an object of name: value pairs."]})
    try:
        config = spec.validate(params or {}, preset=preset or None)
    except ConfigError as exc:
        raise ValidationError(exc.errors) from None
    c_hash, k_hash = config_hash(config), code_hash(spec)
    key = _cache_key(spec.name, c_hash, k_hash)
    Experiment.objects.get_or_create(
        name=spec.name, defaults={"title": spec.title, "summary": spec.summary, "citation": spec.citation}
    )
    for _ in range(3):
        existing = Run.objects.live().originals().filter(cache_key=key).first()
        if existing is not None:
            return existing, False
        if user is not None and enforce_quota:
            _check_quota(user)
        try:
            with transaction.atomic():
                run = Run.objects.create(
                    experiment_id=spec.name,
                    preset=preset or "",
                    config=canonical_config(config),
                    seed=config.seed,
                    config_hash=c_hash,
                    code_hash=k_hash,
                    cache_key=key,
                    requested_by=user,
                    message="waiting for a worker",
                )
                _enqueue(run, spec)
            return run, True
        except IntegrityError:
            # A concurrent identical request won the race; return its run.
            continue
    raise ValidationError({"__all__": ["Could not create the run; please try again."]})


def run_cancel(*, run: Run, user: Any) -> Run:
    """Cancel a queued or running run (owner or staff); the worker notices and stops."""
    if not run.can_manage(user):
        raise PermissionDenied("Only the person who requested a run, or staff, may cancel it.")
    who = getattr(user, "username", "system")
    Run.objects.filter(pk=run.pk, status__in=ACTIVE).update(
        status=RunStatus.CANCELLED,
        message=f"cancelled by {who}",
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
    run.refresh_from_db()
    return run


def run_reproduce(*, run: Run, user: Any) -> Run:
    """Re-run a succeeded run ignoring the cache; the new run records whether it matched."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to reproduce a run.")
    if run.status != RunStatus.SUCCEEDED:
        raise ValidationError({"run": ["Only a run that succeeded can be reproduced."]})
    spec = _spec(run.experiment_id)
    if not user.is_staff:
        _check_quota(user)
    with transaction.atomic():
        copy = Run.objects.create(
            experiment_id=run.experiment_id,
            preset=run.preset,
            config=run.config,
            seed=run.seed,
            config_hash=run.config_hash,
            code_hash=run.code_hash,
            cache_key=run.cache_key,
            requested_by=user,
            reproduction_of=run,
            message="waiting for a worker (reproduction)",
        )
        _enqueue(copy, spec)
    return copy


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


def _reproduction_verdict(run_id: int, result: dict[str, Any], provenance: dict[str, Any], digest: str) -> bool | None:
    from compute import registry
    from compute.canonical import max_relative_difference

    original = Run.objects.filter(reproductions__pk=run_id).select_related("result").first()
    if original is None or not hasattr(original, "result"):
        return None
    if digest == original.digest:
        return True
    on_gpu = "cuda" in str(provenance.get("device", "")) or "cuda" in str(original.provenance.get("device", ""))
    if not on_gpu:
        return False  # on CPU the result must be byte-identical
    tolerance = registry.get(original.experiment_id).gpu_tolerance
    return max_relative_difference(result, original.result.data) <= tolerance


def run_finish(*, claim: Claim, result: dict[str, Any], provenance: dict[str, Any], digest: str) -> bool:
    """Store the result and mark the run succeeded, only if ``claim`` still holds it."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(_held(claim)).first()
        if run is None:
            return False
        match = _reproduction_verdict(run.pk, result, provenance, digest) if run.reproduction_of_id else None
        RunResult.objects.update_or_create(run=run, defaults={"data": result})
        Run.objects.filter(_held(claim)).update(
            status=RunStatus.SUCCEEDED,
            progress=1.0,
            message="done",
            provenance=provenance,
            digest=digest,
            finished_at=timezone.now(),
            lease_expires_at=None,
            reproduced_match=match,
        )
    return True


def run_fail(*, claim: Claim, error: str, traceback: str = "", cancelled: bool = False) -> bool:
    """Mark the run failed (or cancelled) with a readable error, only if ``claim`` still holds it."""
    status = RunStatus.CANCELLED if cancelled else RunStatus.FAILED
    return bool(
        Run.objects.filter(_held(claim)).update(
            status=status,
            error=error[:5000],
            traceback=traceback[-20000:],
            finished_at=timezone.now(),
            lease_expires_at=None,
            message="cancelled" if cancelled else "failed",
        )
    )


def run_fail_hard_time_limit(*, run_id: int, limit_s: float) -> bool:
    """Fail a running run whose worker process was killed at the hard time limit (called by the worker parent)."""
    return bool(
        Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            lease_expires_at=None,
            message="failed: time limit",
            error=f"The run exceeded its hard time limit of {limit_s:g} s and its process was killed.",
        )
    )


def runs_reap_expired() -> int:
    """Re-enqueue runs whose worker was lost (expired lease) or whose message was lost; returns how many.

    Runs that have used up RUNS_MAX_ATTEMPTS are failed instead.
    """
    from compute import registry

    now = timezone.now()
    expired = Q(status=RunStatus.RUNNING, lease_expires_at__lt=now)
    Run.objects.filter(expired, attempts__gte=settings.RUNS_MAX_ATTEMPTS).update(
        status=RunStatus.FAILED,
        finished_at=now,
        lease_expires_at=None,
        message="failed: too many attempts",
        error=f"Gave up after {settings.RUNS_MAX_ATTEMPTS} attempts: the worker was lost each time.",
    )
    stale = now - timedelta(seconds=settings.RUNS_REQUEUE_QUEUED_AFTER_SECONDS)
    count = 0
    for run in Run.objects.filter(expired | Q(status=RunStatus.QUEUED, enqueued_at__lt=stale)):
        with transaction.atomic():
            # Conditional, so that two reapers never both re-enqueue the same run.
            moved = Run.objects.filter(
                pk=run.pk, status=run.status, lease_expires_at=run.lease_expires_at, enqueued_at=run.enqueued_at
            ).update(
                status=RunStatus.QUEUED,
                lease_expires_at=None,
                message="requeued: its worker was lost",
            )
            if not moved:
                continue
            if run.experiment_id.startswith("author-"):  # an author experiment: queued for the sandbox
                from apps.submissions.execution import enqueue as enqueue_sandboxed

                enqueue_sandboxed(run)
                count += 1
                continue
            try:
                spec = registry.get(run.experiment_id)
            except registry.UnknownExperiment:
                Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="The experiment no longer exists.")
                continue
            _enqueue(run, spec)
            count += 1
    if count:
        log.info("reaper re-enqueued %d run(s)", count)
    return count
