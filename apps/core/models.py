from __future__ import annotations

from django.db import models
from django.urls import reverse

from apps.core.validators import validate_single_line


class TagQuerySet(models.QuerySet["Tag"]):
    def used(self) -> TagQuerySet:
        """Tags attached to at least one published article or any question."""
        return self.filter(models.Q(articles__status="published") | models.Q(questions__isnull=False)).distinct()


class Tag(models.Model):
    """A topic label shared by articles, open questions and forum threads."""

    slug = models.SlugField(max_length=60, unique=True, help_text="Used in URLs, e.g. 'scaling-laws'.")
    name = models.CharField(
        max_length=80, validators=[validate_single_line], help_text="Shown to readers, e.g. 'Scaling laws'."
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("perspectives:tag", kwargs={"tag": self.slug})

    @staticmethod
    def name_from_slug(slug: str) -> str:
        return slug.replace("-", " ").replace("_", " ").capitalize()


class Page(models.Model):
    """A flat page such as /about/, loaded from site/pages/<slug>.md."""

    slug = models.SlugField(max_length=80, unique=True, help_text="/pages/<slug>/; 'about' is also served at /about/.")
    title = models.CharField(max_length=200, validators=[validate_single_line])
    body = models.TextField(blank=True, help_text="Markdown source.")
    rendered_html = models.TextField(blank=True, editable=False, help_text="Sanitised HTML rendered from the body.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        if self.slug == "about":
            return reverse("core:about")
        return reverse("core:page", kwargs={"slug": self.slug})
