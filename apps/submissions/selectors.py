"""Reads other apps need from submissions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.submissions.models import Review, State


def published_reviews(article: Any) -> QuerySet[Review]:
    """Reports their reviewers chose to publish with ``article``, from its published submissions, oldest first."""
    return (
        Review.objects.published()
        .filter(submission__article=article, submission__state=State.PUBLISHED)
        .order_by("created_at", "id")
    )
