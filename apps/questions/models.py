from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.validators import validate_single_line


class QuestionStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIAL = "partial", "Partly answered"
    RESOLVED = "resolved", "Resolved"


class QuestionQuerySet(models.QuerySet["Question"]):
    def unresolved(self) -> QuestionQuerySet:
        return self.exclude(status=QuestionStatus.RESOLVED)

    def for_listing(self) -> QuestionQuerySet:
        return self.prefetch_related("tags")

    def with_follower_count(self) -> QuestionQuerySet:
        return self.annotate(follower_count=models.Count("followers", distinct=True))


class Question(models.Model):
    """An open problem of the field, with a log of progress towards it."""

    number = models.PositiveIntegerField(unique=True, help_text="Stable public number: /questions/<number>/.")
    slug = models.SlugField(max_length=120, help_text="Readable part of the source filename.")
    title = models.CharField(max_length=200, validators=[validate_single_line])
    statement = models.TextField(help_text="The question in one or two sentences.")
    discussion = models.TextField(blank=True, help_text="Longer Markdown discussion.")
    rendered_html = models.TextField(blank=True, help_text="Cached, sanitised HTML of the discussion.")
    status = models.CharField(max_length=20, choices=QuestionStatus.choices, default=QuestionStatus.OPEN)
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="questions")
    articles = models.ManyToManyField("perspectives.Article", blank=True, related_name="questions")
    sequences = models.ManyToManyField("perspectives.Sequence", blank=True, related_name="questions")
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_questions", help_text="Members following it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Q{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("questions:detail", kwargs={"number": self.number})


class ProgressEntry(models.Model):
    """A dated step towards answering a question: a paper, a result, a counterexample."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="progress")
    date = models.DateField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    who = models.CharField(
        max_length=200,
        validators=[validate_single_line],
        help_text="Who made the progress, e.g. 'Saxe, McClelland and Ganguli'.",
    )
    summary = models.TextField()
    link = models.URLField(blank=True, max_length=500)
    from_site = models.BooleanField(
        default=False, help_text="Loaded from site/ (replaced by loadsite) rather than reported on the site."
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "progress entries"

    def __str__(self) -> str:
        return f"{self.date}: {self.who}"

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.date, self.who, self.summary, self.link)
