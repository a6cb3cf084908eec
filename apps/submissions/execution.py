"""The worker's path for author experiments: a claimed Run executed through compute.sandbox.

apps.experiments.execution.execute_run hands every run whose experiment name
starts with ``author-`` to ``execute_sandboxed``. The author's module is never
imported here: it is written to a private job folder and run by the trusted
bootstrap (compute.sandbox_child) as the slot's unprivileged user inside
bubblewrap. Its configuration is validated there too; an invalid preset
fails the run with the message the child prints.

Settings, read from the environment when the worker starts a run:
SANDBOX_SLOT_BASE (first slot of this worker node, default 0; a prefork
child adds its pool index), SANDBOX_WALL_SECONDS (default 300),
SANDBOX_CPU_SECONDS (default 300), SANDBOX_MEMORY_MB (default 3072).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from config.env import env_int

log = logging.getLogger(__name__)

PREFIX = "author-"


def is_sandboxed(experiment_name: str) -> bool:
    return experiment_name.startswith(PREFIX)


def sandbox_slot() -> int:
    """This process's sandbox slot: the node's base plus the prefork pool index, so slots never collide."""
    base = env_int("SANDBOX_SLOT_BASE", 0, minimum=0)
    try:
        from billiard.process import current_process

        index = getattr(current_process(), "index", 0) or 0
    except ImportError:  # pragma: no cover - billiard comes with celery
        index = 0
    return base + int(index)


def limits() -> Any:
    from compute.sandbox import Limits

    wall = env_int("SANDBOX_WALL_SECONDS", 300, minimum=5)
    return Limits(
        wall_s=float(wall),
        cpu_s=env_int("SANDBOX_CPU_SECONDS", 300, minimum=5),
        memory_bytes=env_int("SANDBOX_MEMORY_MB", 3072, minimum=256) * 1024**2,
    )


def enqueue(run: Any) -> None:
    """Send the run to the experiments queue once the current transaction commits."""
    from apps.experiments.models import Run

    wall = limits().wall_s

    def send() -> None:
        from apps.experiments.tasks import execute_run
        from config.celery import ensure_broker_folders

        ensure_broker_folders()
        # The sandbox enforces the wall limit itself; Celery's limits are a backstop.
        execute_run.apply_async(
            args=[run.pk], queue="experiments", soft_time_limit=int(wall) + 60, time_limit=int(wall) + 120
        )

    Run.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    transaction.on_commit(send)


def execute_sandboxed(run: Any, claim: Any) -> str:
    """Compute a claimed author run in the sandbox and record its outcome; returns what happened."""
    from apps.experiments import services
    from apps.experiments.execution import _Heartbeat
    from apps.submissions.models import SandboxRun
    from apps.submissions.services import source_hash
    from compute.canonical import digest
    from compute.sandbox import SandboxUnavailable, run_sandboxed

    link = SandboxRun.objects.select_related("experiment").filter(run_id=run.pk).first()
    if link is None:
        services.run_fail(claim=claim, error="This run belongs to no author experiment.")
        return "failed"
    experiment = link.experiment
    # Run only the exact source the editor approved and the run was requested for.
    if source_hash(experiment.source) != link.source_sha256 or experiment.approved_hash != link.source_sha256:
        services.run_fail(claim=claim, error="The source changed since this run was requested; it needs approval.")
        return "failed"
    bounds = limits()
    beat = _Heartbeat(claim, bounds.wall_s + 60)
    beat.report(0.0, "running in the sandbox")
    beat.start()
    slot = sandbox_slot()
    try:
        outcome = run_sandboxed(
            experiment.source,
            {},
            preset=run.preset or "smoke",
            slot=slot,
            limits=bounds,
            cancel=lambda: beat.cancelled.is_set() or beat.lost.is_set(),
            on_progress=beat.report,
        )
    except SandboxUnavailable as exc:
        services.run_fail(claim=claim, error=f"No sandbox on this worker: {exc}")
        return "failed"
    except Exception as exc:  # the supervisor itself broke: say so, keep serving
        log.exception("sandbox supervisor failed for run %s", run.pk)
        services.run_fail(claim=claim, error=f"The sandbox failed: {type(exc).__name__}: {exc}")
        return "failed"
    finally:
        beat.stop.set()
        beat.join(timeout=10)
    SandboxRun.objects.filter(pk=link.pk).update(stderr_tail=outcome.stderr[-8000:])
    if outcome.cancelled:
        if beat.lost.is_set():
            return "lost"
        services.run_fail(claim=claim, error="Cancelled.", cancelled=True)
        return "cancelled"
    if not outcome.ok or outcome.result is None:
        services.run_fail(claim=claim, error=outcome.reason, traceback=outcome.stderr[-8000:])
        return "failed"
    provenance = {
        "sandbox": True,
        "source_sha256": link.source_sha256,
        "preset": run.preset,
        "slot": slot,
        "device": "cpu",
        "duration_s": outcome.duration_s,
        "approved_by": getattr(experiment.approved_by, "username", ""),
    }
    if services.run_finish(claim=claim, result=outcome.result, provenance=provenance, digest=digest(outcome.result)):
        return "succeeded"
    return "lost"


def author_figure(run: Any) -> Any:
    """The Bokeh figure of a succeeded author run, drawn by trusted code from its experiment's declarative spec."""
    from apps.submissions.models import SandboxRun
    from compute.figure_spec import FigureSpecError, build_figure
    from compute.figures import new_figure

    link = SandboxRun.objects.select_related("experiment").get(run_id=run.pk)
    try:
        return build_figure(link.experiment.figure_spec, run.result.data)
    except FigureSpecError as exc:
        # A page never breaks: an empty plot says what the authors must fix.
        return new_figure(f"The figure spec does not fit this result: {exc}"[:200], "", "")
