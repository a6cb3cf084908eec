"""Metrics read from the database and the broker when Prometheus scrapes, never kept in a process.

Runs, the queue, the workers and the reaper's actions are facts in the
database (the Run rows, WorkerHeartbeat, the RunEvent audit log) and the
broker; reading them at scrape time gives every web process the same answer.
A scrape while the database is down answers ``lm_database_up 0`` instead of
failing, so the outage itself shows on the dashboards.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from apps.experiments.models import Run, RunEvent, RunStatus
from apps.experiments.services import workers_alive

log = logging.getLogger(__name__)

# Each experiment's duration quantiles come from its most recent successful runs.
DURATION_HISTORY = 100
QUANTILES = (0.5, 0.9, 0.99)
# Runs go to the experiments queue; the default queue carries the site's other tasks.
QUEUES = ("experiments", "default")


def _quantile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    # statistics.quantiles with n=100 gives the 1st..99th percentiles (inclusive method: within the data).
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


class RunsCollector(Collector):
    """Runs by status, the queue's depth and age, run durations, live workers, lease expiries and re-publishes."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("lm_database_up", "1 when the database answered this scrape, 0 when it did not.")
        try:
            metrics = list(self._from_database())
        except DatabaseError as exc:
            log.warning("metrics: the database did not answer (%s)", exc)
            up.add_metric([], 0)
            yield up
        else:
            up.add_metric([], 1)
            yield up
            yield from metrics
        yield from self._from_broker()

    def _from_database(self) -> Iterator[Metric]:
        now = timezone.now()
        by_status = GaugeMetricFamily("lm_runs", "Runs by status (every run ever requested).", labels=["status"])
        counts = dict(Run.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        for status in RunStatus.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status

        oldest = GaugeMetricFamily(
            "lm_queue_oldest_seconds",
            "Age of the oldest queued run, by priority (0: a person waits for it; 3: content; 6: background work).",
            labels=["queue", "priority"],
        )
        for priority, created in (
            Run.objects.filter(status=RunStatus.QUEUED)
            .values_list("priority")
            .annotate(first=Min("created_at"))
            .values_list("priority", "first")
        ):
            oldest.add_metric(["experiments", str(priority)], max(0.0, (now - created).total_seconds()))
        yield oldest

        finished = CounterMetricFamily(
            "lm_runs_finished", "Runs that finished, by experiment and outcome.", labels=["experiment", "status"]
        )
        for experiment, status, n in (
            Run.objects.finished()
            .values_list("experiment_id", "status")
            .annotate(n=Count("id"))
            .values_list("experiment_id", "status", "n")
        ):
            finished.add_metric([experiment, status], n)
        yield finished

        duration = GaugeMetricFamily(
            "lm_run_duration_seconds",
            f"Duration (start to finish) of each experiment's last {DURATION_HISTORY} successful runs, as quantiles.",
            labels=["experiment", "quantile"],
        )
        done = Run.objects.succeeded().filter(started_at__isnull=False, finished_at__isnull=False)
        for experiment in done.values_list("experiment_id", flat=True).distinct().order_by():
            spans = [
                max(0.0, (finished_at - started_at).total_seconds())
                for started_at, finished_at in done.filter(experiment_id=experiment)
                .order_by("-finished_at")
                .values_list("started_at", "finished_at")[:DURATION_HISTORY]
                if started_at is not None and finished_at is not None  # so filtered; said again for the types
            ]
            if not spans:
                continue
            for q in QUANTILES:
                duration.add_metric([experiment, str(q)], _quantile(spans, q))
        yield duration

        alive = workers_alive()
        workers = GaugeMetricFamily("lm_workers", "Worker nodes heard from in the last three reaper periods.")
        workers.add_metric([], alive.count())
        yield workers
        slots = GaugeMetricFamily("lm_worker_slots", "Runs the live workers can compute at once (their pool sizes).")
        slots.add_metric([], alive.aggregate(n=Sum("concurrency"))["n"] or 0)
        yield slots

        events = dict(RunEvent.objects.values_list("action").annotate(n=Count("id")).values_list("action", "n"))
        expiries = CounterMetricFamily(
            "lm_run_lease_expiries", "Runs the reaper took back from a worker that stopped renewing its lease."
        )
        expiries.add_metric([], events.get(RunEvent.Action.LEASE_EXPIRED, 0))
        yield expiries
        republished = CounterMetricFamily(
            "lm_run_republished", "Run messages the reaper sent again (never sent, or lost by the broker)."
        )
        republished.add_metric([], events.get(RunEvent.Action.REPUBLISHED, 0))
        yield republished

    def _from_broker(self) -> Iterator[Metric]:
        from config.celery import queue_depth

        depth = GaugeMetricFamily("lm_queue_depth", "Messages waiting in each broker queue.", labels=["queue"])
        up = GaugeMetricFamily("lm_broker_up", "1 when the message broker answered this scrape, 0 when it did not.")
        for queue in QUEUES:
            n = queue_depth(queue)
            if n is not None:
                depth.add_metric([queue], n)
            elif queue == QUEUES[0]:  # the queue of runs decides; the default queue may not be declared yet
                up.add_metric([], 0)
                yield up
                return
        up.add_metric([], 1)
        yield up
        yield depth
