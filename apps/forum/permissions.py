"""Who may do what in the forum. Views and services both ask these.

Whether someone is a moderator is decided by apps.accounts.roles (staff and
superusers included); suspensions are the forum's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.accounts.roles import Person, is_moderator

if TYPE_CHECKING:
    from apps.forum.models import Post, Suspension, Thread


def active_suspension(user: Person) -> Suspension | None:
    """The user's current suspension (the one that ends last), or None."""
    if user is None or not user.is_authenticated:
        return None
    from apps.forum.models import Suspension

    return Suspension.objects.active().filter(user=user).order_by("-until").first()


def is_suspended(user: Person) -> bool:
    return active_suspension(user) is not None


def can_edit_post(user: Person, post: Post) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.pk and not post.is_deleted and not post.is_hidden and not post.thread.is_locked


def can_delete_post(user: Person, post: Post) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return is_moderator(user) or (post.author_id == user.pk and not post.is_hidden)


def can_see_thread(user: Person, thread: Thread) -> bool:
    return not thread.is_hidden or is_moderator(user)


def can_see_post_body(user: Person, post: Post) -> bool:
    if post.is_deleted:
        return False
    return not post.is_hidden or is_moderator(user)
