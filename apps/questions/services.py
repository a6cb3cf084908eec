"""Writes to open questions: following, and syncing progress logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.questions.models import ProgressEntry, Question


def question_follow(*, question: Question, user: Any) -> None:
    """Add the user to the question's followers (idempotent)."""
    question.followers.add(user)


def question_unfollow(*, question: Question, user: Any) -> None:
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
