"""What a worker does with one run: claim it, compute it under a live lease, record the outcome, draw its image.

Kept apart from tasks.py so that the Celery task stays a thin interface. The
kind of the run's experiment picks its executor (apps.experiments.executors);
everything around the computation (claim, re-key, lease, time limits,
cancellation, the record of the outcome) is the same for every kind.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback as tb
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    close_old_connections,
    connection,
)
from django.utils import timezone

from apps.experiments import services
from apps.experiments.executors import Computed, RunFailed, executor_for
from apps.experiments.images import run_image_after_finish
from apps.experiments.leases import Lease, TimeLimitReached
from apps.experiments.models import Run

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long recording an outcome keeps trying through database trouble before giving up.
RECORD_RETRY_DELAYS_S = (0.5, 1, 2, 4, 8, 15, 30, 30, 30, 30)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _recorded(write: Callable[[], T]) -> T:
    """Run a write that records an outcome, reconnecting through transient database errors.

    A finished computation is worth minutes of retrying: the result is kept in
    memory while the database comes back. The last error is raised if it never does.
    """
    for delay in RECORD_RETRY_DELAYS_S:
        try:
            return write()
        except DatabaseError:
            log.warning("could not record a run outcome; retrying in %s s", delay, exc_info=True)
            connection.close()
            time.sleep(delay)
    return write()


def execute_run(run_id: int, *, soft_limit_s: float | None = None) -> str:
    """Claim run ``run_id`` and compute it; returns what happened ("skipped", "succeeded", "failed", ...).

    A run that is not ours to take (finished, cancelled, held by a live worker)
    is skipped, so duplicate messages do nothing; a run whose holder on this
    machine has died is taken at once.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    from compute.protocol import Cancelled

    close_old_connections()
    claim = services.run_claim(run_id=run_id, worker=worker_id())
    if claim is None and services.run_release_from_dead_worker(run_id=run_id):
        claim = services.run_claim(run_id=run_id, worker=worker_id())
    if claim is None:
        return "skipped"
    superseded = services.run_rekey(claim=claim)
    if superseded is not None:
        services.run_fail(claim=claim, error=superseded)
        return "failed"
    run = Run.objects.select_related("experiment").get(pk=run_id)
    executor = executor_for(run.experiment.kind)
    limit = soft_limit_s if soft_limit_s is not None else executor.time_limits(run).soft_s
    began = time.monotonic()
    outcome: Computed | None = None
    # The outcome is recorded inside the lease too: while the database is down, the lease keeper goes on
    # trying to renew, so the moment it is back the run is still ours, and a finished result waiting to be
    # saved is never handed to another worker to compute again (tests/faults/ found exactly that).
    with Lease(claim, soft_limit_s=limit) as lease:
        try:
            outcome = executor.execute(run, lease)
        except (SoftTimeLimitExceeded, TimeLimitReached):
            error, trace, result = f"The run exceeded its time limit of {limit:g} s and was stopped.", "", "timed out"
        except Cancelled:
            if lease.lost:
                return "lost"
            _recorded(lambda: services.run_fail(claim=claim, error="Cancelled.", cancelled=True))
            return "cancelled"
        except RunFailed as exc:
            error, trace, result = exc.error, exc.traceback, "failed"
        except Exception as exc:
            if time.monotonic() - began >= limit:
                # The soft limit interrupted something that turned it into another error.
                error, result = f"The run exceeded its time limit of {limit:g} s and was stopped.", "timed out"
            else:
                error, result = f"{type(exc).__name__}: {exc}", "failed"
            trace = tb.format_exc()
        if outcome is None:
            _recorded(lambda: services.run_fail(claim=claim, error=error, traceback=trace))
            return result
        done = outcome
        recorded = _recorded(lambda: services.run_finish(claim=claim, computed=done))
    if not recorded:
        return "lost"
    # The run is recorded; its static figure image is drawn now, outside the lease and off every web
    # request. A failure here is logged and leaves the run as it is (the image is then drawn on its
    # first request).
    run_image_after_finish(run_id)
    return "succeeded"


class Reaper(threading.Thread):
    """Inside a worker, every RUNS_REAP_INTERVAL_SECONDS: record its heartbeat, then reap stranded runs.

    After a pass that failed (the database was down), leases that expired are
    left alone until the database has answered for one lease period: every
    holder lost the database too, and its lease keeper needs a beat to renew.
    Without that grace, the first pass after an outage would hand every live
    run to another worker (tests/faults/ measured it).
    """

    def __init__(self, *, node: str = "", queues: str = "", concurrency: int = 1) -> None:
        super().__init__(name="run-reaper", daemon=True)
        self.stop = threading.Event()
        self.node = node or worker_id()
        self.queues = queues
        self.concurrency = concurrency
        self.started_at = timezone.now()
        # Monotonic time before which expired leases are not taken back (0: no grace).
        self.grace_until = 0.0
        self.failed = False

    def reap_once(self) -> None:
        """One pass: the heartbeat, then the reaper's work (leases taken back only outside a grace period)."""
        try:
            close_old_connections()
            services.worker_beat(
                name=self.node, queues=self.queues, concurrency=self.concurrency, started_at=self.started_at
            )
            if self.failed:
                self.failed = False
                self.grace_until = time.monotonic() + settings.RUNS_LEASE_SECONDS
                log.info("the database answers again; expired leases are left to their holders for a lease period")
            services.runs_reap_expired(take_back_expired=time.monotonic() >= self.grace_until)
        except (OperationalError, InterfaceError, ProgrammingError) as exc:
            self.failed = True
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "no such table" in reason or "does not exist" in reason:
                log.error("reaper pass failed: the database has no tables yet (%s); run `manage.py migrate`", reason)
            elif isinstance(exc, ProgrammingError):
                log.exception("reaper pass failed")
            else:  # an outage: one line every pass, not a traceback
                log.error("reaper pass failed: the database did not answer (%s); trying again", reason)
        except Exception:
            self.failed = True
            log.exception("reaper pass failed")
        finally:
            connection.close()

    def run(self) -> None:
        while True:
            self.reap_once()
            if self.stop.wait(settings.RUNS_REAP_INTERVAL_SECONDS):
                return
