"""Who may do what in the forum. Views and services both ask these."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

MODERATOR_GROUP = "moderator"


def is_moderator(user: Any) -> bool:
    """Moderators and superusers; the answer is cached on the user object for the request."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    cached = getattr(user, "_forum_is_moderator", None)
    if cached is None:
        cached = bool(user.is_superuser or user.groups.filter(name=MODERATOR_GROUP).exists())
        user._forum_is_moderator = cached
    return cached


def active_suspension(user: Any) -> Any:
    """The user's current suspension, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    from apps.forum.models import Suspension

    return Suspension.objects.active().filter(user=user).order_by("-until").first()


def is_suspended(user: Any) -> bool:
    return active_suspension(user) is not None


def can_edit_post(user: Any, post: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.pk and not post.is_deleted and not post.is_hidden and not post.thread.is_locked


def can_delete_post(user: Any, post: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return is_moderator(user) or (post.author_id == user.pk and not post.is_hidden)


def can_see_thread(user: Any, thread: Any) -> bool:
    return not thread.is_hidden or is_moderator(user)


def can_see_post_body(user: Any, post: Any) -> bool:
    if post.is_deleted:
        return False
    return not post.is_hidden or is_moderator(user)
