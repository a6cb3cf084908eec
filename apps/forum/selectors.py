"""Reads other apps use: home page threads, discussions of an object and their state, a member's standing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.accounts.models import User
from apps.accounts.trust import NO_STANDING, Standing
from apps.forum.models import Post, Suspension, Thread, ThreadQuerySet


def home_threads(*, limit: int = 6) -> list[Thread]:
    """The most recently active threads anyone may see, for the home page."""
    return list(
        Thread.objects.visible_to(AnonymousUser()).select_related("category").order_by("-last_activity")[:limit]
    )


def _discussions(obj: models.Model, *, user: Any) -> ThreadQuerySet:
    threads = Thread.objects.visible_to(user)
    if obj._meta.label_lower == "perspectives.version":
        ct = ContentType.objects.get_for_model(obj)
        siblings = type(obj)._default_manager.filter(article_id=getattr(obj, "article_id", None)).values("pk")
        return threads.filter(target_content_type=ct, target_object_id__in=siblings)
    return threads.attached_to(obj)


def discussions_of(obj: models.Model, *, user: Any, limit: int = 20) -> list[Thread]:
    """Threads attached to an article version, open question or run that the user may see, latest first.

    For an article version, threads on every version of that article are included: a discussion of
    version 1 still concerns readers of version 2.
    """
    return list(_discussions(obj, user=user).select_related("category", "author").order_by("-last_activity")[:limit])


def discussion_state(obj: models.Model) -> tuple[str, datetime | None]:
    """The DISCUSSION_STATE hook: a token that changes with the threads an anonymous reader sees on obj's page.

    Also returns their latest activity. A new thread, a new post, a thread hidden or merged away all
    change the token; it is one aggregate query.
    """
    row = _discussions(obj, user=AnonymousUser()).aggregate(
        count=Count("id"), newest=Max("id"), posts=Sum("post_count"), latest=Max("last_activity")
    )
    token = f"{row['count']}:{row['newest']}:{row['posts']}:{row['latest'].isoformat() if row['latest'] else ''}"
    return token, row["latest"]


def member_standing(user: User) -> Standing:
    """The forum's facts about a member, for apps.accounts.trust: readable posts, granted level, active suspension.

    Registered as the standing provider in ForumConfig.ready(); one query.
    """
    posts = (
        Post.objects.filter(author=OuterRef("pk"), is_deleted=False, is_hidden=False)
        .order_by()
        .values("author")
        .annotate(n=Count("pk"))
        .values("n")
    )
    suspension = Suspension.objects.active().filter(user=OuterRef("pk")).order_by("-until").values("until")[:1]
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(readable_posts=Coalesce(Subquery(posts), 0), suspended_until=Subquery(suspension))
        .values_list("readable_posts", "forum_profile__granted_trust_level", "suspended_until")
        .first()
    )
    if row is None:
        return NO_STANDING
    posts_count, granted, until = row
    return Standing(posts=posts_count, granted_level=granted or 0, suspended_until=until)
