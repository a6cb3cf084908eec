"""Continuous reproduction: the runs behind published figures are computed again, and the outcome recorded.

A published figure says something about the world only while its run still
reproduces. ``recheck_published_figures`` (a Celery task for beat, or
``manage.py recheck_figures`` for cron; docs/runs.md) picks, within a CPU
budget, the runs behind published figures whose experiment's code has
changed since they ran (and that no reproduction has checked at that code
yet), then those not checked for a week, oldest check first, and queues a
reproduction of each behind the work people wait for. Each reproduction
records whether it matched (byte-identical), agreed within the experiment's
tolerance, or differed. A digest that changes while the code has not is a
defect somewhere (hardware, libraries, non-determinism): the editors are told.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import timezone

from apps.accounts.roles import EDITOR, holders
from apps.core.requesters import RECHECK
from apps.experiments.executors import executor_for
from apps.experiments.models import ACTIVE, Run, RunQuerySet, RunStatus
from apps.experiments.services import on_run_finished, reproduction_enqueue

log = logging.getLogger(__name__)

RECHECK_EVERY = timedelta(days=7)


@dataclass
class RecheckReport:
    """What one pass queued: the reproductions and why, and what did not fit the budget."""

    queued: list[tuple[Run, str]] = field(default_factory=list)
    over_budget: int = 0
    budget_s: float = 0.0
    spent_s: float = 0.0


def published_originals() -> RunQuerySet:
    """The succeeded original runs that published figures draw."""
    return Run.objects.originals().succeeded().filter(behind_published_figure=True).select_related("experiment")


def latest_checks(run_ids: Iterable[int]) -> dict[int, Run]:
    """{run id: its newest finished reproduction} for those of ``run_ids`` that have one, in one query."""
    found: dict[int, Run] = {}
    checks = Run.objects.filter(
        reproduction_of_id__in=list(run_ids), status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]
    ).order_by("reproduction_of_id", "-finished_at", "-pk")
    for check in checks:
        assert check.reproduction_of_id is not None
        found.setdefault(check.reproduction_of_id, check)
    return found


def _checked_at_code(run: Run, code: str) -> bool:
    return (
        run.reproductions.filter(provenance__code_hash=code).exists()
        or run.reproductions.filter(status__in=ACTIVE).exists()
    )


def _cost_s(run: Run) -> float:
    return float(run.provenance.get("duration_s") or 60.0)


def recheck_published_figures(*, cpu_budget_s: float | None = None, now: datetime | None = None) -> RecheckReport:
    """Queue reproductions of published figures' runs that are due, within ``cpu_budget_s`` of estimated compute.

    Due first: runs whose experiment's code changed since they ran; then runs
    not reproduced for RECHECK_EVERY, the longest unchecked first.
    """
    now = now or timezone.now()
    budget = settings.RUNS_RECHECK_CPU_BUDGET_S if cpu_budget_s is None else cpu_budget_s
    report = RecheckReport(budget_s=budget)
    changed: list[Run] = []
    stale: list[tuple[datetime, Run]] = []
    originals = list(published_originals())
    checks = latest_checks(run.pk for run in originals)
    for run in originals:
        if run.reproductions.filter(status__in=ACTIVE).exists():
            continue
        try:
            code = executor_for(run.experiment.kind).current_code_hash(run)
        except Exception:  # the experiment left the registry: nothing to re-check it with
            log.warning("cannot re-check run %s: its experiment is gone", run.pk)
            continue
        if code != run.code_hash and not _checked_at_code(run, code):
            changed.append(run)
            continue
        last = checks.get(run.pk)
        checked = last.finished_at if last is not None and last.finished_at else run.finished_at or run.created_at
        if now - checked >= RECHECK_EVERY:
            stale.append((checked, run))
    due = [(run, "its experiment's code changed") for run in changed]
    due += [(run, "a week without a check") for _, run in sorted(stale, key=lambda pair: pair[0])]
    for run, why in due:
        cost = _cost_s(run)
        if report.spent_s + cost > budget:
            report.over_budget += 1
            continue
        report.queued.append((run_recheck(run=run), why))
        report.spent_s += cost
    if report.queued:
        log.info(
            "queued %d re-check(s) of published figures (%.0f s of %.0f s)", len(report.queued), report.spent_s, budget
        )
    return report


def run_recheck(*, run: Run) -> Run:
    """Queue a reproduction of a published figure's run, as the site's own background work."""
    return reproduction_enqueue(
        run,
        message="waiting for a worker (re-check of a published figure)",
        requested_by=None,
        requested_because=RECHECK.reason,
        priority=RECHECK.priority,
    )


def alert_on_unexplained_change(run: Run) -> None:
    """Tell the editors when a re-check of a published figure differs while the code did not change.

    Registered with ``on_run_finished``: it looks only at reproductions.
    """
    if run.reproduction_of_id is None or run.reproduction_outcome != "differed":
        return
    original = run.reproduction_of
    if original is None or run.provenance.get("code_hash") != original.code_hash:
        return  # new code may compute something else; the status says "differed" for readers
    url = settings.SITE_URL + run.get_absolute_url()
    subject = f"[learningmechanics.pub] A published figure no longer reproduces: run #{original.pk}"
    body = (
        f"Run #{run.pk} re-ran run #{original.pk} of {run.experiment.title} with the same code "
        f"({original.code_hash}) and got another result (digest {run.digest} instead of {original.digest}).\n"
        "Nothing in the code explains it: check the worker's hardware, library versions and determinism.\n\n"
        f"{url}\n"
    )
    addresses = sorted({editor.email for editor in holders(EDITOR) if editor.email})
    send_mass_mail([(subject, body, None, [address]) for address in addresses], fail_silently=True)


def register_listeners() -> None:
    on_run_finished(alert_on_unexplained_change)
