from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse

from apps.accounts.models import User
from apps.core.validators import validate_single_line


class Kind(models.TextChoices):
    PERSPECTIVE = "perspective", "Perspective"
    TUTORIAL = "tutorial", "Tutorial"
    GUIDE = "guide", "Guide"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> ArticleQuerySet:
        """Articles readers may see: published, with at least one frozen version."""
        return self.filter(status=Status.PUBLISHED, latest_version__isnull=False)

    def visible_to(self, user: User | AnonymousUser | None) -> ArticleQuerySet:
        """Published articles; staff also see drafts."""
        if isinstance(user, User) and user.is_staff:
            return self.all()
        return self.published()

    def for_listing(self) -> ArticleQuerySet:
        """Everything a list of cards shows, in a constant number of queries."""
        return self.select_related("latest_version").prefetch_related(
            "tags",
            Prefetch("authorships", queryset=Authorship.objects.select_related("user").order_by("position")),
        )


class Article(models.Model):
    """A long-form piece: perspective, tutorial or guide. Its text is frozen into Versions."""

    title = models.CharField(max_length=200, validators=[validate_single_line])
    slug = models.SlugField(max_length=120, unique=True, help_text="/perspectives/<slug>/")
    summary = models.TextField(help_text="One or two sentences shown in lists and feeds.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSPECTIVE)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, help_text="Drafts are visible to staff only."
    )
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="articles")
    body = models.TextField(blank=True, help_text="Markdown source of the current draft; publishing freezes it.")
    bibliography = models.TextField(blank=True, help_text="BibTeX entries that [@key] citations refer to.")
    latest_version = models.ForeignKey(
        "Version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The newest published version, kept here so lists need no subquery.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("perspectives:detail", kwargs={"slug": self.slug})

    @property
    def author_names(self) -> list[str]:
        return [a.display_name for a in self.authorships.all()]


class Authorship(models.Model):
    """One author of an article, in order: a member of the site or a named outsider."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the byline, from 0.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="authorships"
    )
    name = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text="For authors without an account; leave user empty.",
    )

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False, name="") | models.Q(user__isnull=True) & ~models.Q(name="")),
                name="authorship_user_xor_name",
            ),
            models.UniqueConstraint(fields=["article", "position"], name="authorship_unique_position"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id is not None and self.user is not None:
            return self.user.public_name
        return self.name


class VersionImmutable(Exception):
    """A published version's content may never change."""


# Derived from the content by the rendering pipeline; refreshing them changes no text.
VERSION_CACHE_FIELDS = frozenset({"rendered_html", "toc", "reading_minutes", "word_count", "references"})


class VersionQuerySet(models.QuerySet["Version"]):
    def update(self, **kwargs: Any) -> int:
        if not set(kwargs) <= VERSION_CACHE_FIELDS:
            raise VersionImmutable(
                f"versions are immutable; cannot update {sorted(set(kwargs) - VERSION_CACHE_FIELDS)}"
            )
        return super().update(**kwargs)

    def refresh_cache(self, **cached: Any) -> int:
        """Replace the cached rendering of these versions (never their content)."""
        return self.update(**cached)


class Version(models.Model):
    """A frozen, numbered state of an article. Rows are written once and never changed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(help_text="1, 2, 3 ... in publication order.")
    title = models.CharField(max_length=200, validators=[validate_single_line])
    summary = models.TextField()
    body = models.TextField(help_text="Markdown source as published.")
    bibliography = models.TextField(blank=True)
    changelog = models.CharField(
        max_length=300, validators=[validate_single_line], help_text="One line: what this version changed."
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rendered_html = models.TextField(blank=True, help_text="Cached, sanitised HTML of the body.")
    toc = models.JSONField(default=list, blank=True, help_text="[{level, id, title}, ...]")
    references = models.JSONField(default=list, blank=True, help_text="Cited entries, in order of citation.")
    word_count = models.PositiveIntegerField(default=0)
    reading_minutes = models.PositiveSmallIntegerField(default=1)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="version_unique_number")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The one guard that must live here: any code path, admin included,
        # that tries to rewrite a published version fails loudly.
        if not self._state.adding:
            raise VersionImmutable(f"version {self.number} of article {self.article_id} is published and immutable")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("perspectives:version", kwargs={"slug": self.article.slug, "number": self.number})


class Sequence(models.Model):
    """An ordered reading path through several articles."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200, validators=[validate_single_line])
    description = models.TextField(blank=True, help_text="Plain text shown under the title.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order among sequences.")

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("perspectives:sequence", kwargs={"slug": self.slug})


class SequenceItem(models.Model):
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sequence_items")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "position"], name="sequenceitem_unique_position"),
            models.UniqueConstraint(fields=["sequence", "article"], name="sequenceitem_unique_article"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence_id}#{self.position}"
