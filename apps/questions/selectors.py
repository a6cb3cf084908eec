"""Reads for the question page that span several models."""

from __future__ import annotations

from django.db.models import Count, Max

from apps.perspectives.models import Article
from apps.perspectives.pages import PageState, discussion_state
from apps.questions.models import Question


def question_page_state(question: Question, *, follower_count: int) -> PageState:
    """The validators of the question's page as anonymous readers see it (three queries, no rendering).

    The question is one loaded with its tags and sequences prefetched; the page also shows how many
    members follow it, which the view has counted already.
    """
    progress = question.progress.aggregate(count=Count("id"), newest=Max("id"))
    articles = (
        Article.objects.published()
        .filter(questions=question)
        .aggregate(count=Count("id"), newest_version=Max("latest_version_id"), changed=Max("updated_at"))
    )
    discussions, discussed_at = discussion_state(question)
    parts = (
        "question",
        question.pk,
        question.updated_at,
        tuple(sorted(tag.pk for tag in question.tags.all())),
        tuple(sorted(sequence.pk for sequence in question.sequences.all())),
        progress["count"],
        progress["newest"],
        articles["count"],
        articles["newest_version"],
        articles["changed"],
        follower_count,
        discussions,
    )
    times = (question.updated_at, articles["changed"], discussed_at)
    return PageState(parts=parts, last_modified=max(t for t in times if t is not None))
