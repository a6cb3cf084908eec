"""Reads other apps use: recent threads for the home page, discussions of an object."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from apps.forum.models import Thread


def home_threads(*, limit: int = 6) -> list[Thread]:
    """The most recently active threads anyone may see, for the home page."""
    return list(
        Thread.objects.visible_to(AnonymousUser()).select_related("category").order_by("-last_activity")[:limit]
    )


def discussions_of(obj: models.Model, *, user: Any, limit: int = 20) -> list[Thread]:
    """Threads attached to an article version, open question or run that the user may see, latest first.

    For an article version, threads on every version of that article are included: a discussion of
    version 1 still concerns readers of version 2.
    """
    threads = Thread.objects.visible_to(user)
    if obj._meta.label_lower == "perspectives.version":
        ct = ContentType.objects.get_for_model(obj)
        siblings = type(obj)._default_manager.filter(article_id=getattr(obj, "article_id", None)).values("pk")
        threads = threads.filter(target_content_type=ct, target_object_id__in=siblings)
    else:
        threads = threads.attached_to(obj)
    return list(threads.select_related("category", "author").order_by("-last_activity")[:limit])
