"""Role predicates. Roles are Django groups; staff and superusers hold every role."""

from __future__ import annotations

from typing import Any

AUTHOR = "author"
EDITOR = "editor"
MODERATOR = "moderator"
ROLES = (AUTHOR, EDITOR, MODERATOR)


def _has_role(user: Any, role: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    # Cache group names on the instance: templates ask several times per page.
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._role_names = cached
    return role in cached


def is_author(user: Any) -> bool:
    return _has_role(user, AUTHOR)


def is_editor(user: Any) -> bool:
    return _has_role(user, EDITOR)


def is_moderator(user: Any) -> bool:
    return _has_role(user, MODERATOR)


def roles_of(user: Any) -> list[str]:
    """The role names a user holds, in a fixed order (all of them for staff)."""
    return [role for role in ROLES if _has_role(user, role)]
