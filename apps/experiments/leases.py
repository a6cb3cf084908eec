"""The lease a worker holds on a claimed run while it computes.

A background thread renews the lease every third of RUNS_LEASE_SECONDS
(and at most every 2 s, so that progress bars move), stores the latest
progress, and notices cancellation, the loss of the lease and the soft time
limit. A transient database error does not end it: the thread drops the
broken connection and tries again at the next beat, and the computation stops
only when the database says the lease is gone (cancelled, or handed to
another worker by the reaper).
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, connection

from apps.experiments import services

log = logging.getLogger(__name__)


class TimeLimitReached(Exception):
    """The run went past its soft time limit."""


class Lease(threading.Thread):
    """Keeps ``claim`` alive while the body of a ``with Lease(...)`` block computes."""

    def __init__(self, claim: services.Claim, *, soft_limit_s: float) -> None:
        super().__init__(name=f"lease-{claim.run_id}", daemon=True)
        self.claim = claim
        self.soft_limit_s = soft_limit_s
        self.deadline = time.monotonic() + soft_limit_s
        # Often enough for a live progress bar, and at least three renewals per lease.
        self.period = max(0.2, min(2.0, settings.RUNS_LEASE_SECONDS / 3))
        self._stop_event = threading.Event()
        self._cancelled = threading.Event()
        self._lost = threading.Event()
        self._timed_out = threading.Event()
        self._latest: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self.failed_renewals = 0

    def __enter__(self) -> Lease:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def report(self, fraction: float, message: str) -> None:
        """Progress from the computation; stored at the next renewal."""
        with self._lock:
            self._latest = (fraction, message)

    def stop_requested(self) -> bool:
        """True when the computation must stop (cancelled, or the lease is lost); raises past the soft limit."""
        if self._timed_out.is_set():
            raise TimeLimitReached()
        return self._cancelled.is_set() or self._lost.is_set()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.period):
                self._beat()
        finally:
            connection.close()

    def _beat(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        try:
            state = services.run_renew_lease(
                claim=self.claim,
                progress=latest[0] if latest else None,
                message=latest[1] if latest else None,
            )
        except DatabaseError:
            # The database blinked: drop the connection so that the next beat reconnects,
            # and keep the progress for it. The run goes on; only the database may say it is lost.
            self.failed_renewals += 1
            log.warning("could not renew the lease of run %s; retrying", self.claim.run_id, exc_info=True)
            connection.close()
            with self._lock:
                self._latest = self._latest or latest
        else:
            if state == "cancelled":
                self._cancelled.set()
            elif state == "lost":
                self._lost.set()
        if time.monotonic() > self.deadline:
            self._timed_out.set()
