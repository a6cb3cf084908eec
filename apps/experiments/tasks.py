"""Celery tasks: thin interfaces to apps.experiments.execution and services."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded
from celery.signals import worker_init, worker_ready, worker_shutting_down
from django.db import InterfaceError, OperationalError

log = logging.getLogger(__name__)
_reaper: Any = None


class RunTask(Task):
    """Records a hard time limit on the run: the killed child process cannot."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if isinstance(exc, TimeLimitExceeded) and args:
            from apps.experiments.services import run_fail_hard_time_limit

            limit = exc.args[0] if exc.args else self.request.timelimit
            run_fail_hard_time_limit(run_id=int(args[0]), limit_s=float(limit or 0))


@shared_task(
    base=RunTask,
    name="apps.experiments.tasks.execute_run",
    acks_late=True,
    reject_on_worker_lost=True,
    # Only transient database trouble is retried, backing off to ride out an outage of a few minutes
    # (1 + 2 + 4 + ... s, at most 60 s apart, about five minutes in all); an experiment's own errors are
    # recorded, never retried. A run whose task gives up stays queued, and the reaper publishes it again.
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=9,
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
)
def execute_run(run_id: int) -> str:
    """Claim and compute one run; a redelivered message for a finished run does nothing."""
    from apps.experiments.execution import execute_run as run_it

    return run_it(run_id)


@shared_task(name="apps.experiments.tasks.reap_expired_runs")
def reap_expired_runs() -> int:
    """Re-enqueue runs whose lease expired (for celery beat, where it runs)."""
    from apps.experiments.services import runs_reap_expired

    return runs_reap_expired()


@shared_task(name="apps.experiments.tasks.recheck_published_figures")
def recheck_published_figures() -> int:
    """Queue re-checks of published figures that are due, within RUNS_RECHECK_CPU_BUDGET_S (for celery beat)."""
    from apps.experiments.reproducibility import recheck_published_figures as recheck

    return len(recheck().queued)


def visibility_timeout_problems() -> list[str]:
    """Experiments whose hard time limit is not below the Redis visibility timeout (they would start twice)."""
    from django.conf import settings

    from compute import registry

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return []
    timeout = settings.RUNS_VISIBILITY_TIMEOUT_S
    return [
        f"experiment {exp.name}: hard time limit {exp.hard_time_limit_s} s is not below the broker visibility "
        f"timeout {timeout} s; raise RUNS_VISIBILITY_TIMEOUT_S"
        for exp in registry.all_experiments().values()
        if exp.hard_time_limit_s >= timeout
    ]


def unapplied_migrations() -> list[str]:
    """The migrations the database still lacks ("app.name"); empty when it is current or cannot be asked."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return []  # the database is down: the reaper says so
    finally:
        connection.close()
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


@worker_init.connect
def _preload_libraries(**_: Any) -> None:
    """Import torch once in the parent, before the pool forks.

    Children then start runs at once, and a soft time limit can never fire in
    the middle of importing torch (which leaves the module half-loaded).
    """
    import numpy  # noqa: F401
    import torch  # noqa: F401


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    """At worker start: mirror the registry, reap once, then keep reaping in a background thread."""
    global _reaper
    from apps.experiments.execution import Reaper
    from apps.experiments.services import experiment_sync
    from config.celery import ensure_broker_folders

    ensure_broker_folders()
    for problem in visibility_timeout_problems():
        log.error(problem)
    unapplied = unapplied_migrations()
    if unapplied:
        log.error(
            "the database lacks %d migration(s) (%s first): run `python manage.py migrate`; "
            "until then this worker can take no run",
            len(unapplied),
            unapplied[0],
        )
    try:
        experiment_sync(force=True)
    except Exception:
        log.exception("could not sync experiments at worker start")
    # The consumer knows its node name, queues and pool size; the heartbeat reports them.
    node = str(getattr(sender, "hostname", "") or "")
    queues = ",".join(sorted(q.name for q in getattr(getattr(sender, "task_consumer", None), "queues", []) or []))
    concurrency = int(getattr(getattr(sender, "pool", None), "num_processes", 1) or 1)
    _reaper = Reaper(node=node, queues=queues, concurrency=concurrency)
    _reaper.start()


@worker_shutting_down.connect
def _stop_reaper(**_: Any) -> None:
    if _reaper is not None:
        _reaper.stop.set()
