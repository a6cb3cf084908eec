"""The home page: what the site is, and the latest from every part of it."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.content.selectors import home_figure
from apps.forum.selectors import home_threads
from apps.perspectives.models import Article, Version
from apps.questions.models import ProgressEntry, Question

HOME_LIST_SIZE = 6
ACTIVITY_SIZE = 10


def _recent_activity() -> list[dict[str, Any]]:
    versions = (
        Version.objects.filter(article__status="published")
        .select_related("article")
        .only("number", "title", "changelog", "published_at", "article__slug", "article__status")
        .order_by("-published_at", "-pk")[:ACTIVITY_SIZE]
    )
    progress = ProgressEntry.objects.select_related("question").order_by("-date", "-pk")[:ACTIVITY_SIZE]
    events: list[dict[str, Any]] = [{"kind": "version", "when": v.published_at, "version": v} for v in versions]
    for p in progress:
        when = timezone.make_aware(datetime.datetime.combine(p.date, datetime.time()), datetime.UTC)
        events.append({"kind": "progress", "when": when, "progress": p})
    events.sort(key=lambda e: e["when"], reverse=True)
    return events[:ACTIVITY_SIZE]


def home(request: HttpRequest) -> HttpResponse:
    latest = Article.objects.published().for_listing().order_by("-latest_version__published_at", "-pk")
    questions = Question.objects.unresolved().for_listing().order_by("number")
    return render(
        request,
        "content/home.html",
        {
            "articles": latest[:HOME_LIST_SIZE],
            "questions": questions[:HOME_LIST_SIZE],
            "activity": _recent_activity(),
            "forum_threads": home_threads(limit=HOME_LIST_SIZE),
            "figure": home_figure(),
        },
    )
