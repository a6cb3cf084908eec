"""The executor of author experiments: their runs go through compute.sandbox, never a web or worker process.

Registered for ``ExperimentKind.AUTHOR`` when this app loads (apps.py), so
that apps.experiments, which owns every run, can plan, execute, draw and
reproduce author runs without importing this app. The author's module is
never imported here: it is written to a private job folder and run by the
trusted bootstrap (compute.sandbox_child) as the slot's unprivileged user
inside bubblewrap. Its configuration is validated there too; an invalid
preset fails the run with the message the child prints.

Only the exact source an editor approved runs; the run's code hash is the
start of that source's sha256, so a reproduction runs the same source or fails.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import reverse

from apps.accounts.models import User
from apps.core.requesters import Requester, SystemRequest
from apps.experiments.executors import (
    BundleUnavailable,
    Computed,
    RunFailed,
    RunPlan,
    StatedClaims,
    TimeLimits,
    register,
)
from apps.experiments.models import Experiment, ExperimentKind, Run
from apps.submissions.models import AuthorExperiment, SandboxRun, State, Submission
from apps.submissions.services import may_act_as, source_hash, spec_fingerprint

if TYPE_CHECKING:
    from bokeh.model import Model as BokehModel

    from apps.experiments.leases import Lease
    from compute.sandbox import Limits, Usage

log = logging.getLogger(__name__)

PRESETS = ("smoke", "full")


def sandbox_slot() -> int:
    """This process's sandbox slot: the node's base plus the prefork pool index, so slots never collide."""
    from billiard.process import current_process

    index = getattr(current_process(), "index", 0) or 0
    return settings.SANDBOX_SLOT_BASE + int(index)


def sandbox_limits() -> Limits:
    from compute.sandbox import Limits

    return Limits(
        wall_s=float(settings.SANDBOX_WALL_SECONDS),
        cpu_s=settings.SANDBOX_CPU_SECONDS,
        memory_bytes=settings.SANDBOX_MEMORY_MB * 1024**2,
        run_memory_bytes=settings.SANDBOX_RUN_MEMORY_MB * 1024**2,
        processes=settings.SANDBOX_PROCESSES,
        cpus=settings.SANDBOX_CPUS,
        cgroup_parent=settings.SANDBOX_CGROUP,
    )


def _measured(usage: Usage | None) -> dict[str, float]:
    """What the run's cgroup measured, for its provenance: CPU seconds and peak memory."""
    if usage is None:
        return {}
    measured = {}
    if usage.cpu_s is not None:
        measured["cpu_s"] = round(usage.cpu_s, 3)
    if usage.memory_peak_bytes is not None:
        measured["memory_peak_mb"] = round(usage.memory_peak_bytes / 1024**2, 1)
    return measured


def _author_experiment(experiment: Experiment) -> AuthorExperiment:
    found = AuthorExperiment.objects.select_related("submission", "approved_by").filter(registry_entry=experiment)
    author_experiment = found.first()
    if author_experiment is None:
        raise ValidationError({"experiment": [f"{experiment.name} belongs to no author experiment."]})
    return author_experiment


def may_run(author_experiment: AuthorExperiment, user: User) -> bool:
    """The submission's authors, and editors who are not its authors, may run its experiments."""
    submission = author_experiment.submission
    return submission.is_author(user) or may_act_as("editor", submission, user)


class SandboxExecutor:
    """Author experiments: approved source run as an unprivileged user inside bubblewrap."""

    def plan(self, experiment: Experiment, params: Mapping[str, Any] | None, preset: str | None) -> RunPlan:
        author_experiment = _author_experiment(experiment)
        preset = preset or "smoke"
        errors: dict[str, list[str]] = {}
        if preset not in PRESETS:
            errors["preset"] = ["Choose the smoke or full preset."]
        if params:
            errors["params"] = ["Author experiments run their presets; parameters cannot be set one by one."]
        if not author_experiment.approved:
            errors["approval"] = ["An editor must approve this source before it can run."]
        if errors:
            raise ValidationError(errors)
        return RunPlan(
            config={"preset": preset},
            seed=0,
            config_hash=hashlib.sha256(preset.encode()).hexdigest()[:16],
            code_hash=author_experiment.approved_hash[:16],
        )

    def authorize(self, experiment: Experiment, requester: Requester) -> None:
        if isinstance(requester, SystemRequest):
            return
        if not isinstance(requester, User) or not may_run(_author_experiment(experiment), requester):
            raise PermissionDenied("Only the authors and editors may run a submission's experiments.")

    def within_starter(self, experiment: Experiment, plan: RunPlan) -> bool:
        return plan.config.get("preset") == "smoke"

    def time_limits(self, run: Run) -> TimeLimits:
        # The sandbox enforces the wall limit itself; Celery's limits are a backstop.
        wall = settings.SANDBOX_WALL_SECONDS
        return TimeLimits(soft_s=wall + 60, hard_s=wall + 120)

    def current_code_hash(self, run: Run) -> str:
        author_experiment = _author_experiment(run.experiment)
        # An unapproved source keeps the run's key: execute() refuses it with the reason.
        return author_experiment.approved_hash[:16] if author_experiment.approved else run.code_hash

    def execute(self, run: Run, lease: Lease) -> Computed:
        from compute.canonical import digest
        from compute.protocol import Cancelled
        from compute.sandbox import SandboxUnavailable, run_sandboxed

        author_experiment = _author_experiment(run.experiment)
        approved = author_experiment.approved_hash
        # Run only the exact source the editor approved, and the one the run was keyed by.
        if not approved or source_hash(author_experiment.source) != approved or approved[:16] != run.code_hash:
            raise RunFailed("The source changed since this run was requested; it needs approval.")
        limits, slot = sandbox_limits(), sandbox_slot()
        lease.report(0.0, "running in the sandbox")
        try:
            outcome = run_sandboxed(
                author_experiment.source,
                {},
                preset=str(run.config.get("preset") or "smoke"),
                slot=slot,
                limits=limits,
                cancel=lambda: lease.cancelled or lease.lost,
                on_progress=lease.report,
            )
        except SandboxUnavailable as exc:
            raise RunFailed(f"No sandbox on this worker: {exc}") from None
        except Exception as exc:  # the supervisor itself broke: say so, keep serving
            log.exception("sandbox supervisor failed for run %s", run.pk)
            raise RunFailed(f"The sandbox failed: {type(exc).__name__}: {exc}") from None
        SandboxRun.objects.update_or_create(
            run=run,
            defaults={
                "experiment": author_experiment,
                "source_sha256": approved,
                "stderr_tail": outcome.stderr[-8000:],
            },
        )
        if outcome.cancelled:
            raise Cancelled()
        if not outcome.ok or outcome.result is None:
            raise RunFailed(outcome.reason, outcome.stderr[-8000:])
        provenance = {
            "sandbox": True,
            "source_sha256": approved,
            "preset": run.config.get("preset"),
            "slot": slot,
            "device": "cpu",
            "duration_s": outcome.duration_s,
            **_measured(outcome.usage),
            "approved_by": author_experiment.approved_by.get_username() if author_experiment.approved_by else "",
        }
        return Computed(result=outcome.result, provenance=provenance, digest=digest(outcome.result))

    def figure(self, run: Run) -> BokehModel:
        from compute.figure_spec import FigureSpecError, build_figure
        from compute.plotting import new_figure

        spec = _author_experiment(run.experiment).figure_spec
        try:
            return build_figure(spec, run.result.data)
        except FigureSpecError as exc:
            # A page never breaks: an empty plot says what the authors must fix.
            return new_figure(f"The figure spec does not fit this result: {exc}"[:200], "", "")

    def reproduction_bundle(self, run: Run) -> bytes:
        raise BundleUnavailable(
            "Author experiments run only in the site's sandbox; reproduce this one from its page (Reproduce)."
        )

    def figure_version(self, run: Run) -> str:
        from compute.plotting import THEME

        spec = _author_experiment(run.experiment).figure_spec
        return spec_fingerprint({"spec": spec, "theme": THEME})[:16]

    def claims(self, run: Run) -> StatedClaims:
        return StatedClaims()  # an author experiment states its claims in the article's text

    def reproduces(self, original: Run, computed: Computed) -> bool:
        return computed.digest == original.digest  # the sandbox computes on the CPU: byte-identical

    def experiment_url(self, experiment: Experiment) -> str:
        return reverse("submissions:experiment", args=[_author_experiment(experiment).pk])

    def visible_runs(self, user: User | AnonymousUser) -> Q:
        # Published work is public; until then its runs are seen by whoever may see the submission
        # (its authors, assigned reviewers and editors), exactly as its pages are.
        return Q(experiment__author_experiment__submission__state=State.PUBLISHED) | Q(
            experiment__author_experiment__submission__in=Submission.objects.visible_to(user).values("pk")
        )

    def may_read_source(self, run: Run, user: User | AnonymousUser) -> bool:
        # The module's source (and so its tracebacks) is read by those who may see the submission, even once
        # it is published: its pages are theirs.
        submission_id = _author_experiment(run.experiment).submission_id
        return Submission.objects.visible_to(user).filter(pk=submission_id).exists()


def register_sandbox_executor() -> None:
    register(ExperimentKind.AUTHOR, SandboxExecutor())
