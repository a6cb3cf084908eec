"""Submissions: drafts written on the site, their editorial review, and the experiments authors attach."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.accounts.roles import is_editor
from apps.core.validators import validate_single_line, validate_text
from apps.perspectives.models import Kind


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    REVISIONS_REQUESTED = "revisions_requested", "Revisions requested"
    ACCEPTED = "accepted", "Accepted"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"


# States in which the authors may change the text.
EDITABLE = (State.DRAFT, State.REVISIONS_REQUESTED)


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def authored_by(self, user: Any) -> SubmissionQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(owner=user) | Q(coauthors=user)).distinct()

    def visible_to(self, user: Any) -> SubmissionQuerySet:
        """Authors see theirs, assigned reviewers the ones they review, editors everything but drafts."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        visible = Q(owner=user) | Q(coauthors=user) | Q(assignments__reviewer=user)
        if is_editor(user):
            # Drafts stay private, except that attaching an experiment asks an editor to read its code.
            visible |= ~Q(state=State.DRAFT) | Q(experiments__isnull=False)
        return self.filter(visible).distinct()

    def awaiting_editor(self) -> SubmissionQuerySet:
        return self.filter(state__in=[State.SUBMITTED, State.IN_REVIEW, State.ACCEPTED])


class Submission(models.Model):
    """An article draft on its way through review to publication as a perspective."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="submissions",
        help_text="The author who started the draft; first in the byline.",
    )
    coauthors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="coauthored_submissions",
        help_text="Other members who may edit the draft and appear in the byline.",
    )
    title = models.CharField(max_length=200, validators=[validate_single_line], help_text="The article's title.")
    slug = models.SlugField(max_length=120, help_text="Address of the published article: /perspectives/<slug>/.")
    summary = models.TextField(validators=[validate_text], help_text="One or two sentences shown in lists and feeds.")
    kind = models.CharField(
        max_length=20,
        default=Kind.PERSPECTIVE,
        choices=Kind.choices,
        help_text="What sort of piece this is.",
    )
    body = models.TextField(blank=True, help_text="Markdown with $math$, [@citations] and figure directives.")
    bibliography = models.TextField(blank=True, help_text="BibTeX entries that [@key] citations refer to.")
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="submissions", help_text="Topic labels.")
    changelog = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_single_line],
        help_text="One line on what the version published from this draft changes.",
    )
    state = models.CharField(max_length=24, choices=State.choices, default=State.DRAFT, db_index=True)
    article = models.ForeignKey(
        "perspectives.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        help_text="The article this submission published (or will publish a new version of).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("submissions:detail", args=[self.pk])

    def is_author(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        return self.owner_id == user.pk or self.coauthors.filter(pk=user.pk).exists()

    def is_reviewer(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        return self.assignments.filter(reviewer=user).exists()

    def authors(self) -> list[Any]:
        return [self.owner, *self.coauthors.exclude(pk=self.owner_id).order_by("username")]

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE


class Transition(models.Model):
    """One change of state, kept forever: who moved the submission, from where to where, and why."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made the change.",
    )
    from_state = models.CharField(max_length=24, choices=State.choices)
    to_state = models.CharField(max_length=24, choices=State.choices)
    note = models.TextField(blank=True, help_text="The reason, decision letter or answer to reviewers.")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class Assignment(models.Model):
    """A reviewer asked by an editor to review a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "reviewer"], name="one_assignment_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.submission}"


class Visibility(models.TextChoices):
    EDITORS = "editors", "Editors only"
    AUTHORS = "authors", "Shared with the authors"
    PUBLIC = "public", "Published with the article"


class Recommendation(models.TextChoices):
    ACCEPT = "accept", "Accept"
    REVISE = "revise", "Revise"
    REJECT = "reject", "Reject"


class ReviewQuerySet(models.QuerySet["Review"]):
    def visible_to(self, user: Any, submission: Submission) -> ReviewQuerySet:
        if is_editor(user):
            return self.all()
        if submission.is_author(user):
            return self.filter(Q(visibility__in=[Visibility.AUTHORS, Visibility.PUBLIC]) | Q(reviewer=user))
        if getattr(user, "is_authenticated", False):
            return self.filter(reviewer=user)
        return self.none()

    def published(self) -> ReviewQuerySet:
        return self.filter(visibility=Visibility.PUBLIC)


class Review(models.Model):
    """A reviewer's report on one round of a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    body = models.TextField(help_text="The report (Markdown).")
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices)
    visibility = models.CharField(
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.AUTHORS,
        help_text="Who may read it: editors only, also the authors, or everyone once the article is published.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"review of {self.submission} by {self.reviewer}"


class AuthorExperiment(models.Model):
    """One Python module and a declarative figure spec attached to a submission.

    The source never runs outside the sandbox. It may run only at the exact
    sha256 an editor approved; changing the source clears that approval.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="experiments")
    name = models.SlugField(max_length=40, help_text="Short identifier, unique within the submission.")
    source = models.TextField(help_text="The module: Config(ExperimentConfig), PRESETS with 'smoke', run(config, ctx).")
    sha256 = models.CharField(max_length=64, help_text="sha256 of the source, computed on save by the service.")
    figure_spec = models.JSONField(default=dict, help_text="Declarative figure: see compute.figure_spec.")
    approved_hash = models.CharField(max_length=64, blank=True, help_text="The source hash an editor approved.")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The editor who approved the current source.",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    registry_entry = models.OneToOneField(
        "experiments.Experiment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="author_experiment",
        help_text="The Experiment row (kind author, unlisted) that this module's runs belong to.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "name"], name="one_experiment_name_per_submission")
        ]

    def __str__(self) -> str:
        return f"{self.submission}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("submissions:experiment", args=[self.pk])

    @property
    def approved(self) -> bool:
        return bool(self.approved_hash) and self.approved_hash == self.sha256

    @property
    def registry_name(self) -> str:
        """The name of the Experiment row its runs hang from (kept out of the public list: available=False)."""
        return f"author-{self.pk}"


class SandboxRun(models.Model):
    """What the sandbox recorded of one author run: the approved source hash it executed and its standard error."""

    run = models.OneToOneField("experiments.Run", primary_key=True, on_delete=models.CASCADE, related_name="sandbox")
    experiment = models.ForeignKey(AuthorExperiment, on_delete=models.CASCADE, related_name="runs")
    source_sha256 = models.CharField(max_length=64, help_text="The approved source hash the run executes.")
    stderr_tail = models.TextField(blank=True, help_text="The end of the module's standard error, for its authors.")

    class Meta:
        ordering = ["-run__created_at"]

    def __str__(self) -> str:
        return f"sandbox run {self.run_id}"
