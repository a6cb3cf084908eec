"""Writes to open questions: following, and their sync (progress logs included) from the files in site/."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.requesters import LOADSITE
from apps.core.services import SyncOutcome, source_render, tags_ensure
from apps.perspectives.models import Article
from apps.perspectives.models import Sequence as ReadingSequence
from apps.questions.models import ProgressEntry, Question, QuestionStatus


def question_follow(*, question: Question, user: User) -> None:
    """Add the user to the question's followers (idempotent)."""
    question.followers.add(user)


def question_unfollow(*, question: Question, user: User) -> None:
    """Remove the user from the question's followers (idempotent)."""
    question.followers.remove(user)


@transaction.atomic
def question_progress_sync(*, question: Question, entries: Sequence[dict[str, Any]]) -> bool:
    """Make the site-sourced progress log match `entries` (date, who, summary, link); returns whether it changed.

    A change also moves the question's updated time: the log is part of the question.
    """
    wanted = [(e["date"], e["who"], e["summary"], e.get("link") or "") for e in entries]
    current = [p.as_tuple() for p in question.progress.filter(from_site=True).order_by("id")]
    if current == wanted:
        return False
    question.progress.filter(from_site=True).delete()
    ProgressEntry.objects.bulk_create(
        ProgressEntry(question=question, date=d, who=w, summary=s, link=link, from_site=True)
        for d, w, s, link in wanted
    )
    question.updated_at = timezone.now()
    Question.objects.filter(pk=question.pk).update(updated_at=question.updated_at)
    return True


def question_sync(
    *,
    number: int,
    slug: str,
    title: str,
    statement: str,
    status: QuestionStatus,
    discussion: str,
    tags: Sequence[str],
    articles: Sequence[str],
    sequences: Sequence[str],
    progress: Sequence[dict[str, Any]],
) -> SyncOutcome:
    """Make the question with this number match its file in site/, rendering its discussion when that changed.

    Text, status, tags, the related articles and sequences (named by slug) and
    the progress log loaded from site/ all follow the file; progress reported
    on the site is kept.
    """
    question = Question.objects.filter(number=number).first()
    created = question is None
    wanted: dict[str, str] = {
        "slug": slug,
        "title": title,
        "statement": statement,
        "status": status,
        "discussion": discussion,
    }
    changed = False
    if question is None:
        html = source_render(source=discussion, requester=LOADSITE).html
        question = Question.objects.create(number=number, rendered_html=html, **wanted)
    else:
        stale = [field for field, value in wanted.items() if getattr(question, field) != value]
        if stale:
            for field in stale:
                setattr(question, field, wanted[field])
            if "discussion" in stale:
                question.rendered_html = source_render(source=discussion, requester=LOADSITE).html
            question.save()
            changed = True
    tag_objects = tags_ensure(slugs=tags)
    if {t.pk for t in question.tags.all()} != {t.pk for t in tag_objects}:
        question.tags.set(tag_objects)
        changed = True
    related = list(Article.objects.filter(slug__in=articles))
    if set(question.articles.values_list("pk", flat=True)) != {a.pk for a in related}:
        question.articles.set(related)
        changed = True
    paths = list(ReadingSequence.objects.filter(slug__in=sequences))
    if set(question.sequences.values_list("pk", flat=True)) != {s.pk for s in paths}:
        question.sequences.set(paths)
        changed = True
    if question_progress_sync(question=question, entries=progress):
        changed = True
    return "created" if created else ("updated" if changed else "unchanged")


def question_rerender_all() -> int:
    """Refresh the cached HTML of every question's discussion; returns how many were rendered."""
    n = 0
    for question in Question.objects.only("pk", "discussion"):
        Question.objects.filter(pk=question.pk).update(
            rendered_html=source_render(source=question.discussion, requester=LOADSITE).html
        )
        n += 1
    return n
