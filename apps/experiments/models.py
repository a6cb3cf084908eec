"""Experiments mirrored from the compute registry, and their runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.accounts.models import User

if TYPE_CHECKING:
    from compute.protocol import Experiment as ReferenceSpec


class ExperimentKind(models.TextChoices):
    """Who wrote an experiment's code, which decides how its runs execute (see apps.experiments.executors)."""

    REFERENCE = "reference", "Reference experiment"
    AUTHOR = "author", "Author experiment"


class Experiment(models.Model):
    """An experiment the site can run: a reference experiment mirrored from compute.registry, or an author's."""

    name = models.CharField(primary_key=True, max_length=64, help_text="Registry name, e.g. deep_linear.")
    kind = models.CharField(
        max_length=16,
        choices=ExperimentKind.choices,
        default=ExperimentKind.REFERENCE,
        help_text="Reference experiments run trusted code from compute/; author experiments run in the sandbox.",
    )
    title = models.CharField(max_length=200, help_text="Human title shown on the site.")
    summary = models.TextField(blank=True, help_text="One or two sentences on what the experiment shows.")
    citation = models.TextField(blank=True, help_text="The work whose theory the experiment checks.")
    available = models.BooleanField(
        default=True, help_text="Listed on the experiments page; False when the code no longer registers it."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from apps.experiments.executors import executor_for

        return executor_for(self.kind).experiment_url(self)

    def spec(self) -> ReferenceSpec:
        """The compute.protocol.Experiment behind a reference experiment (imports no torch)."""
        from compute import registry

        return registry.get(self.name)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
DEAD = (RunStatus.FAILED, RunStatus.CANCELLED)


class RunQuerySet(models.QuerySet["Run"]):
    def active(self) -> RunQuerySet:
        return self.filter(status__in=ACTIVE)

    def finished(self) -> RunQuerySet:
        return self.filter(status__in=FINISHED)

    def succeeded(self) -> RunQuerySet:
        return self.filter(status=RunStatus.SUCCEEDED)

    def live(self) -> RunQuerySet:
        """Runs that count for the cache: neither failed nor cancelled."""
        return self.exclude(status__in=DEAD)

    def for_user(self, user: User | AnonymousUser | None) -> RunQuerySet:
        """The runs ``user`` requested (none for a visitor)."""
        if not isinstance(user, User):
            return self.none()
        return self.filter(requested_by=user)

    def originals(self) -> RunQuerySet:
        return self.filter(reproduction_of__isnull=True)

    def visible_to(self, user: User | AnonymousUser) -> RunQuerySet:
        """The runs ``user`` may see; each kind's executor decides for its own runs.

        Author runs of unpublished work are seen only by its authors, editors and reviewers.
        """
        from apps.experiments.executors import registered

        allowed = Q(pk__in=[])
        for kind, executor in registered().items():
            allowed |= Q(experiment__kind=kind) & executor.visible_runs(user)
        return self.filter(allowed)


class Run(models.Model):
    """One execution of an experiment on one canonical configuration."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="runs")
    preset = models.CharField(max_length=32, blank=True, help_text="Preset the configuration started from.")
    config = models.JSONField(help_text="Canonical configuration (every field, defaults included).")
    seed = models.BigIntegerField(default=0, help_text="Seed of every random stream.")
    config_hash = models.CharField(max_length=16, help_text="Hash of the canonical configuration.")
    code_hash = models.CharField(max_length=16, help_text="Hash of the experiment's source and the protocol.")
    cache_key = models.CharField(max_length=64, db_index=True, help_text="sha256(experiment, config, code).")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0, help_text="Fraction done, 0 to 1.")
    message = models.CharField(max_length=300, blank=True, help_text="Latest progress or status message.")
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker has claimed the run.")
    worker = models.CharField(max_length=200, blank=True, help_text="Worker holding (or last holding) the run.")
    lease_expires_at = models.DateTimeField(null=True, blank=True, help_text="The holder must renew before this.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        help_text="Who asked for it; empty for system requests (precompute, figures).",
    )
    requested_because = models.CharField(
        max_length=100, blank=True, help_text="For a run the site asked for itself: why (e.g. publishing a version)."
    )
    priority = models.PositiveSmallIntegerField(
        default=0,
        help_text="Queue priority, lowest first: 0 for runs people wait for, higher for the site's own work.",
    )
    provenance = models.JSONField(default=dict, blank=True, help_text="Code, config, device, versions, timings.")
    digest = models.CharField(max_length=64, blank=True, help_text="sha256 of the canonical result.")
    error = models.TextField(blank=True, help_text="Readable reason for a failure.")
    traceback = models.TextField(blank=True, help_text="Traceback of a failure, for the experiment's authors.")
    reproduction_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reproductions",
        help_text="The finished run this one re-runs, ignoring the cache.",
    )
    behind_published_figure = models.BooleanField(
        default=False,
        db_index=True,
        help_text="A figure of published content (an article version, a question, a page) draws this run.",
    )
    reproduction_outcome = models.CharField(
        max_length=16,
        blank=True,
        choices=[("matched", "matched"), ("agreed", "agreed within tolerance"), ("differed", "differed")],
        help_text="For a reproduction: byte-identical, within the experiment's tolerance, or neither.",
    )
    reproduced_match = models.BooleanField(
        null=True, blank=True, help_text="For a reproduction: whether it matched the original."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="When a message was last sent for it.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Never compute twice: at most one live original run per cache key,
            # enforced by the database so that concurrent requests cannot race.
            models.UniqueConstraint(
                fields=["cache_key"],
                condition=Q(reproduction_of__isnull=True) & ~Q(status__in=["failed", "cancelled"]),
                name="one_live_run_per_cache_key",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.experiment_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("experiments:run", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


class RunResult(models.Model):
    """The (possibly large) result of a run, apart so that lists of runs stay light."""

    run = models.OneToOneField(Run, primary_key=True, on_delete=models.CASCADE, related_name="result")
    data = models.JSONField(help_text="The experiment's canonical result.")

    def __str__(self) -> str:
        return f"result of run {self.run_id}"


class RunEvent(models.Model):
    """The audit log of runs: who did what to a run, and when.

    People act from the queue page (requeue, cancel); the reaper, with no
    actor, takes runs back from workers that stopped renewing their lease and
    sends lost messages again.
    """

    class Action(models.TextChoices):
        REQUEUED = "requeued", "requeued"
        CANCELLED = "cancelled", "cancelled"
        LEASE_EXPIRED = "lease_expired", "took back from a silent worker"
        REPUBLISHED = "republished", "sent the message again for"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", help_text="Who did it."
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    note = models.CharField(max_length=300, blank=True, help_text="The run's state when it happened.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.action} by {self.actor_id}"


class WorkerHeartbeat(models.Model):
    """A worker node that is alive: its reaper writes here every pass (RUNS_REAP_INTERVAL_SECONDS)."""

    name = models.CharField(primary_key=True, max_length=200, help_text="The Celery node name, e.g. gpu0@host.")
    queues = models.CharField(max_length=200, blank=True, help_text="The queues it consumes, comma-separated.")
    concurrency = models.PositiveIntegerField(default=1, help_text="How many runs it computes at once.")
    started_at = models.DateTimeField(help_text="When the worker started.")
    last_seen = models.DateTimeField(db_index=True, help_text="Its latest beat.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
