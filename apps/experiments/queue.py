"""Where a queued run stands: its place in the queue and when it should start and finish.

Estimates come from each experiment's duration history (the median of its
recent successful runs at the same preset), the runs ahead of it (by
priority, then age) and how many runs the live workers compute at once. They are estimates:
the page says "about".
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from apps.experiments.models import Run, RunStatus
from apps.experiments.services import workers_alive

# How many recent runs of an experiment inform its typical duration.
HISTORY = 20
# How far ahead in the queue an estimate looks (a long backlog is reported as such).
LOOKAHEAD = 200


@dataclass
class Durations:
    """Typical durations in seconds by (experiment, preset), looked up once per estimate."""

    known: dict[tuple[str, str], float | None] = field(default_factory=dict)

    def of(self, run: Run) -> float | None:
        key = (run.experiment_id, run.preset)
        if key not in self.known:
            self.known[key] = typical_duration_s(run.experiment_id, run.preset)
        return self.known[key]


def typical_duration_s(experiment: str, preset: str) -> float | None:
    """The median duration of the experiment's recent successful runs at ``preset`` (else any preset); None if none."""
    done = Run.objects.succeeded().filter(experiment_id=experiment, started_at__isnull=False, finished_at__isnull=False)
    for runs in (done.filter(preset=preset), done):
        times = runs.order_by("-finished_at").values_list("started_at", "finished_at")[:HISTORY]
        spans = [(finished - started).total_seconds() for started, finished in times if started and finished]
        if spans:
            return max(0.0, statistics.median(spans))
    return None


@dataclass(frozen=True)
class QueuePlace:
    """A queued run's place: 1 is next. Times are None when no run of the experiments involved has finished yet."""

    position: int
    busy_workers: int
    start_in_s: float | None
    finish_in_s: float | None


def ahead_of(run: Run) -> Q:
    """Queued runs a worker will take before ``run``: higher priority (lower number), or older at the same one."""
    return Q(status=RunStatus.QUEUED) & (
        Q(priority__lt=run.priority)
        | Q(priority=run.priority, created_at__lt=run.created_at)
        | Q(priority=run.priority, created_at=run.created_at, pk__lt=run.pk)
    )


def queue_place(run: Run) -> QueuePlace | None:
    """Where a queued run stands now; None for a run that is not queued."""
    if run.status != RunStatus.QUEUED:
        return None
    durations = Durations()
    ahead = list(Run.objects.filter(ahead_of(run)).only("experiment_id", "preset")[:LOOKAHEAD])
    running = list(Run.objects.filter(status=RunStatus.RUNNING).only("experiment_id", "preset", "started_at", "worker"))
    # Runs computed at once: the slots of the live workers that take experiments (at least those busy now).
    slots = sum(w.concurrency for w in workers_alive() if "experiments" in w.queues.split(",") or not w.queues)
    workers = max(1, slots, len({r.worker for r in running}))
    now = timezone.now()
    work = 0.0
    known = True
    for other in ahead:
        typical = durations.of(other)
        known = known and typical is not None
        work += typical or 0.0
    for other in running:
        typical = durations.of(other)
        known = known and typical is not None
        elapsed = (now - (other.started_at or now)).total_seconds()
        work += max(0.0, (typical or 0.0) - elapsed)
    own = durations.of(run)
    start = work / workers if known else None
    finish = start + own if start is not None and own is not None else None
    return QueuePlace(
        position=len(ahead) + 1, busy_workers=len({r.worker for r in running}), start_in_s=start, finish_in_s=finish
    )


def about(seconds: float | None) -> str:
    """A duration as a reader says it: "under a minute", "about 4 minutes", "about 2 hours"."""
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {round(seconds / 3600)} hours"


def describe(place: QueuePlace) -> str:
    """One sentence for the run page: the place in the queue and, when known, the expected start and finish."""
    where = "next in the queue" if place.position == 1 else f"number {place.position} in the queue"
    if place.start_in_s is None:
        return f"This run is {where}; no run of these experiments has finished yet, so there is no estimate."
    finish = f", and to finish in {about(place.finish_in_s)}" if place.finish_in_s is not None else ""
    return f"This run is {where}. It should start in {about(place.start_in_s)}{finish}."
