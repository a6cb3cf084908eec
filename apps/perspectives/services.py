"""Writes to articles, their versions and sequences."""

from __future__ import annotations

import datetime
from collections.abc import Sequence as Seq
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.requesters import PUBLICATION
from apps.core.services import source_render
from apps.perspectives.models import Article, Authorship, Sequence, SequenceItem, Status, Version


@transaction.atomic
def article_publish(
    *, article: Article, changelog: str, by: Any | None, published_at: datetime.datetime | None = None
) -> Version:
    """Freeze the article's current body into its next numbered version, render and cache it, and mark it published."""
    changelog = (changelog or "").strip()
    if not changelog:
        raise ValidationError({"changelog": ["Say in one line what this version changes."]})
    if not article.body.strip():
        raise ValidationError({"body": ["An empty article cannot be published."]})
    # Lock the article so two publishers cannot both take the same number.
    locked = Article.objects.select_for_update().get(pk=article.pk)
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    # Publishing is the site's own work: the runs its figures need are never charged to a person.
    rendered = source_render(source=article.body, bibliography=article.bibliography, requester=PUBLICATION)
    # A figure that cannot be drawn would be frozen into the version; the author fixes it first.
    figure_errors = [e for e in rendered.errors if e.startswith("Figure ")]
    if figure_errors:
        raise ValidationError({"body": [f"Fix this figure before publishing: {e}" for e in figure_errors]})
    version = Version.objects.create(
        article=locked,
        number=number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        bibliography=article.bibliography,
        changelog=changelog[:300],
        published_at=published_at or timezone.now(),
        published_by=by if getattr(by, "pk", None) else None,
        rendered_html=rendered.html,
        toc=rendered.toc,
        references=rendered.references,
        word_count=rendered.word_count,
        reading_minutes=rendered.reading_minutes,
    )
    Article.objects.filter(pk=article.pk).update(
        latest_version=version, status=Status.PUBLISHED, updated_at=timezone.now()
    )
    article.latest_version = version
    article.status = Status.PUBLISHED
    version.render_errors = rendered.errors  # type: ignore[attr-defined]  # for the caller to report
    return version


def version_rerender(*, version: Version) -> None:
    """Refresh a version's cached HTML after the rendering pipeline changed; its text stays as published."""
    rendered = source_render(source=version.body, bibliography=version.bibliography, requester=PUBLICATION)
    Version.objects.filter(pk=version.pk).refresh_cache(
        rendered_html=rendered.html,
        toc=rendered.toc,
        references=rendered.references,
        word_count=rendered.word_count,
        reading_minutes=rendered.reading_minutes,
    )


def authors_match(article: Article, authors: Seq[tuple[Any | None, str]]) -> bool:
    current = [(a.user_id, a.name) for a in article.authorships.all().order_by("position")]
    return current == [(getattr(u, "pk", None), "" if u is not None else n) for u, n in authors]


@transaction.atomic
def article_set_authors(*, article: Article, authors: Seq[tuple[Any | None, str]]) -> None:
    """Replace the article's byline with (user, name) pairs in order; exactly one of each pair is set."""
    article.authorships.all().delete()
    Authorship.objects.bulk_create(
        Authorship(article=article, position=i, user=user, name="" if user is not None else name)
        for i, (user, name) in enumerate(authors)
    )


@transaction.atomic
def sequence_upsert(
    *, slug: str, title: str, description: str, position: int, articles: Seq[Article]
) -> tuple[Sequence, str]:
    """Create or update a sequence and its ordered items; returns (sequence, 'created'|'updated'|'unchanged')."""
    sequence = Sequence.objects.filter(slug=slug).first()
    wanted_ids = [a.pk for a in articles]
    if sequence is None:
        sequence = Sequence.objects.create(slug=slug, title=title, description=description, position=position)
        state = "created"
    else:
        current_ids = list(sequence.items.order_by("position").values_list("article_id", flat=True))
        same = (sequence.title, sequence.description, sequence.position) == (title, description, position)
        if same and current_ids == wanted_ids:
            return sequence, "unchanged"
        sequence.title, sequence.description, sequence.position = title, description, position
        sequence.save()
        sequence.items.all().delete()
        state = "updated"
    SequenceItem.objects.bulk_create(
        SequenceItem(sequence=sequence, article_id=pk, position=i) for i, pk in enumerate(wanted_ids)
    )
    return sequence, state
