"""What a worker does with one run: claim it, compute it with a live lease, record the outcome.

Kept apart from tasks.py so that the Celery task stays a thin interface. A
heartbeat thread renews the lease every third of RUNS_LEASE_SECONDS whatever
the experiment does, stores the latest progress, and notices cancellation
and the soft time limit; the experiment sees both through
``ctx.check_cancelled()``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback as tb

from django.conf import settings
from django.db import close_old_connections, connection

from apps.experiments import services

log = logging.getLogger(__name__)


class TimeLimitReached(Exception):
    """The run went past its experiment's soft time limit."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Heartbeat(threading.Thread):
    def __init__(self, claim: services.Claim, soft_limit_s: float) -> None:
        super().__init__(name=f"lease-{claim.run_id}", daemon=True)
        self.claim = claim
        self.deadline = time.monotonic() + soft_limit_s
        # Often enough for a live progress bar, and at least three renewals per lease.
        self.period = max(0.2, min(2.0, settings.RUNS_LEASE_SECONDS / 3))
        self.stop = threading.Event()
        self.cancelled = threading.Event()
        self.lost = threading.Event()
        self.timed_out = threading.Event()
        self.latest: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def report(self, fraction: float, message: str) -> None:
        with self._lock:
            self.latest = (fraction, message)

    def run(self) -> None:
        try:
            while not self.stop.wait(self.period):
                with self._lock:
                    latest, self.latest = self.latest, None
                state = services.run_renew_lease(
                    claim=self.claim,
                    progress=latest[0] if latest else None,
                    message=latest[1] if latest else None,
                )
                if state == "cancelled":
                    self.cancelled.set()
                elif state == "lost":
                    self.lost.set()
                if time.monotonic() > self.deadline:
                    self.timed_out.set()
        except Exception:  # the run itself must not die because one renewal failed
            log.exception("lease heartbeat for run %s stopped", self.claim.run_id)
        finally:
            connection.close()

    def check(self) -> bool:
        if self.timed_out.is_set():
            raise TimeLimitReached()
        return self.cancelled.is_set() or self.lost.is_set()


def execute_run(run_id: int, *, soft_limit_s: float | None = None) -> str:
    """Claim run ``run_id`` and compute it; returns what happened ("skipped", "succeeded", "failed", ...).

    A run that is not ours to take (finished, cancelled, held by a live worker)
    is skipped, so redelivered messages do nothing.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    from compute import registry
    from compute.protocol import Cancelled
    from compute.runner import execute

    close_old_connections()
    claim = services.run_claim(run_id=run_id, worker=worker_id())
    if claim is None:
        return "skipped"
    from apps.experiments.models import Run

    run = Run.objects.get(pk=run_id)
    if run.experiment_id.startswith("author-"):  # an author's experiment: only ever through the sandbox
        from apps.submissions.execution import execute_sandboxed

        return execute_sandboxed(run, claim)
    try:
        spec = registry.get(run.experiment_id)
        config = spec.validate(run.config)
    except Exception as exc:  # the code changed under a queued run
        services.run_fail(claim=claim, error=f"Cannot run this configuration any more: {exc}")
        return "failed"
    limit = soft_limit_s if soft_limit_s is not None else spec.soft_time_limit_s
    beat = _Heartbeat(claim, limit)
    beat.start()
    began = time.monotonic()
    try:
        outcome = execute(spec, config, progress=beat.report, cancel=beat.check)
    except (SoftTimeLimitExceeded, TimeLimitReached):
        services.run_fail(claim=claim, error=f"The run exceeded its time limit of {limit:g} s and was stopped.")
        return "timed out"
    except Cancelled:
        if beat.lost.is_set():
            return "lost"
        services.run_fail(claim=claim, error="Cancelled.", cancelled=True)
        return "cancelled"
    except Exception as exc:
        if time.monotonic() - began >= limit:
            # The soft limit interrupted something that turned it into another error.
            services.run_fail(
                claim=claim,
                error=f"The run exceeded its time limit of {limit:g} s and was stopped.",
                traceback=tb.format_exc(),
            )
            return "timed out"
        services.run_fail(claim=claim, error=f"{type(exc).__name__}: {exc}", traceback=tb.format_exc())
        return "failed"
    finally:
        beat.stop.set()
        beat.join(timeout=10)
    if services.run_finish(claim=claim, result=outcome.result, provenance=outcome.provenance, digest=outcome.digest):
        return "succeeded"
    return "lost"


class Reaper(threading.Thread):
    """Runs services.runs_reap_expired every RUNS_REAP_INTERVAL_SECONDS inside a worker."""

    def __init__(self) -> None:
        super().__init__(name="run-reaper", daemon=True)
        self.stop = threading.Event()

    def run(self) -> None:
        while True:
            try:
                close_old_connections()
                services.runs_reap_expired()
            except Exception:
                log.exception("reaper pass failed")
            finally:
                connection.close()
            if self.stop.wait(settings.RUNS_REAP_INTERVAL_SECONDS):
                return
