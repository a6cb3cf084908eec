"""Reads other apps use: recent threads for the home page, discussions of an object."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models

from apps.forum.models import Thread


def home_threads(*, limit: int = 6) -> list[Thread]:
    """The most recently active threads anyone may see, for the home page."""
    return list(
        Thread.objects.visible_to(AnonymousUser()).select_related("category").order_by("-last_activity")[:limit]
    )


def discussions_of(obj: models.Model, *, user: Any, limit: int = 20) -> list[Thread]:
    """Threads attached to an article version, open question or run that the user may see, latest first."""
    return list(
        Thread.objects.visible_to(user)
        .attached_to(obj)
        .select_related("category", "author")
        .order_by("-last_activity")[:limit]
    )
