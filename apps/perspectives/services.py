"""Writes to articles, their versions and sequences, including their sync from the files in site/."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence as Seq
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core import pagecache
from apps.core.requesters import PUBLICATION
from apps.core.services import SyncOutcome, source_render, tags_ensure
from apps.perspectives.indexing import article_index
from apps.perspectives.models import Article, Authorship, Kind, Sequence, SequenceItem, Status, Version


def _article_pages_changed(article: Article) -> None:
    """Make stale the cached pages that show the article: its own, the lists, its questions' and its neighbours'."""
    tags = [pagecache.ARTICLES, pagecache.article(article.slug)]
    tags += [pagecache.question(n) for n in article.questions.values_list("number", flat=True)]
    neighbours = Article.objects.filter(sequence_items__sequence__items__article=article).values_list("slug", flat=True)
    tags += [pagecache.article(slug) for slug in neighbours]
    pagecache.invalidate(*tags)


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
    _article_pages_changed(article)
    article_index(article)
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
    article = Article.objects.get(pk=version.article_id)
    pagecache.invalidate(pagecache.article(article.slug))
    if article.latest_version_id == version.pk:
        article_index(article)


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
    _article_pages_changed(article)


@transaction.atomic
def sequence_upsert(
    *, slug: str, title: str, description: str, position: int, articles: Seq[Article]
) -> tuple[Sequence, SyncOutcome]:
    """Create or update a sequence and its ordered items; returns (sequence, 'created'|'updated'|'unchanged')."""
    sequence = Sequence.objects.filter(slug=slug).first()
    wanted_ids = [a.pk for a in articles]
    members = set(wanted_ids)
    if sequence is None:
        sequence = Sequence.objects.create(slug=slug, title=title, description=description, position=position)
        state: SyncOutcome = "created"
    else:
        current_ids = list(sequence.items.order_by("position").values_list("article_id", flat=True))
        same = (sequence.title, sequence.description, sequence.position) == (title, description, position)
        if same and current_ids == wanted_ids:
            return sequence, "unchanged"
        members.update(current_ids)
        sequence.title, sequence.description, sequence.position = title, description, position
        sequence.save()
        sequence.items.all().delete()
        state = "updated"
    SequenceItem.objects.bulk_create(
        SequenceItem(sequence=sequence, article_id=pk, position=i) for i, pk in enumerate(wanted_ids)
    )
    # The sequence's page, the lists, its articles' navigation and the questions that name it.
    slugs = Article.objects.filter(pk__in=members).values_list("slug", flat=True)
    numbers = sequence.questions.values_list("number", flat=True)
    pagecache.invalidate(
        pagecache.ARTICLES, *(pagecache.article(s) for s in slugs), *(pagecache.question(n) for n in numbers)
    )
    return sequence, state


def version_rerender_all() -> int:
    """Refresh the cached rendering of every published version (never its text); returns how many."""
    n = 0
    for version in Version.objects.all():
        version_rerender(version=version)
        n += 1
    return n


# --- Sync from site/ ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BylineEntry:
    """One author as a file in site/ names them: a member's username, or the name of someone without an account."""

    username: str = ""
    name: str = ""


@dataclasses.dataclass(frozen=True)
class ArticleSync:
    """What ``article_sync`` did: the outcome, and what the author of the file should hear about."""

    outcome: SyncOutcome
    # Positions in the byline whose username no member has; those authors were stored as plain names.
    unknown_usernames: list[int]
    # Rendering problems of a version published by this sync (unknown citation keys, bad math).
    render_errors: list[str]


def _byline(authors: Seq[BylineEntry]) -> tuple[list[tuple[Any | None, str]], list[int]]:
    wanted = {a.username for a in authors if a.username}
    members = {u.get_username(): u for u in get_user_model().objects.filter(username__in=wanted)}
    byline: list[tuple[Any | None, str]] = []
    unknown: list[int] = []
    for position, author in enumerate(authors):
        if not author.username:
            byline.append((None, author.name))
        elif author.username in members:
            byline.append((members[author.username], ""))
        else:
            unknown.append(position)
            byline.append((None, author.username))
    return byline, unknown


def _midnight_utc(day: datetime.date | None) -> datetime.datetime | None:
    return None if day is None else datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def article_sync(
    *,
    slug: str,
    title: str,
    summary: str,
    kind: Kind,
    status: Status,
    body: str,
    bibliography: str,
    tags: Seq[str],
    authors: Seq[BylineEntry],
    changelog: str | None,
    published: datetime.date | None,
) -> ArticleSync:
    """Make the article with this slug match its file in site/, publishing a new version when its text changed.

    A published file whose title, summary, body or bibliography differ from the
    latest version publishes the next version: with ``changelog`` (or "First
    published version") and dated ``published`` for the first one, and with a
    changelog line that is new, else "Updated from site/", for later ones. A
    draft file makes the article a draft and publishes nothing. Raises
    ValidationError, from ``article_publish``, when the new version cannot be
    published (a figure that does not validate).
    """
    byline, unknown = _byline(authors)
    article = Article.objects.filter(slug=slug).select_related("latest_version").first()
    created = article is None
    if article is None:
        # Created as a draft: only publishing below makes it visible, with its first version.
        article = Article.objects.create(
            slug=slug,
            title=title,
            summary=summary,
            kind=kind,
            status=Status.DRAFT,
            body=body,
            bibliography=bibliography,
        )
    changed = False
    wanted: dict[str, str] = {
        "title": title,
        "summary": summary,
        "kind": kind,
        "body": body,
        "bibliography": bibliography,
    }
    if status == Status.DRAFT:
        wanted["status"] = Status.DRAFT
    stale = [field for field, value in wanted.items() if getattr(article, field) != value]
    if stale:
        for field in stale:
            setattr(article, field, wanted[field])
        article.save()
        changed = True

    tag_objects = tags_ensure(slugs=tags)
    if {t.pk for t in article.tags.all()} != {t.pk for t in tag_objects}:
        article.tags.set(tag_objects)
        changed = True
    if not authors_match(article, byline):
        article_set_authors(article=article, authors=byline)
        changed = True

    render_errors: list[str] = []
    if status == Status.PUBLISHED:
        latest = article.latest_version
        text = (title, summary, body, bibliography)
        if latest is None or (latest.title, latest.summary, latest.body, latest.bibliography) != text:
            if latest is None:
                line = changelog or "First published version"
                when = _midnight_utc(published)
            else:
                line = changelog if changelog and changelog != latest.changelog else "Updated from site/"
                when = None
            version = article_publish(article=article, changelog=line, by=None, published_at=when)
            render_errors = list(getattr(version, "render_errors", []))
            changed = True
        elif article.status != Status.PUBLISHED:
            article.status = Status.PUBLISHED
            article.save()
            changed = True
    outcome: SyncOutcome = "created" if created else ("updated" if changed else "unchanged")
    if outcome != "unchanged":
        _article_pages_changed(article)
        article_index(article)
    return ArticleSync(outcome=outcome, unknown_usernames=unknown, render_errors=render_errors)


def sequence_sync(*, slug: str, title: str, description: str, position: int, article_slugs: Seq[str]) -> SyncOutcome:
    """Make the sequence with this slug match site/sequences.yaml: title, description, place, articles in order."""
    by_slug = {a.slug: a for a in Article.objects.filter(slug__in=article_slugs)}
    _, outcome = sequence_upsert(
        slug=slug,
        title=title,
        description=description,
        position=position,
        articles=[by_slug[s] for s in article_slugs],
    )
    return outcome
