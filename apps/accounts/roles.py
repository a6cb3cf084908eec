"""Who holds which role: the one place the site decides it, for pages and the API alike.

Roles are Django groups (created by migration accounts/0003_role_groups).
Staff and superusers hold every role; anonymous and deactivated users hold
none. Views, services, querysets, templates (the ``has_role`` filter in
``apps/accounts/templatetags/roles.py``) and the API all ask these functions,
so what a person is shown and what they may do cannot disagree.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from apps.accounts.models import User

AUTHOR = "author"
EDITOR = "editor"
MODERATOR = "moderator"
ROLES = (AUTHOR, EDITOR, MODERATOR)

# Whoever a request or a service is acting for; None where there is no one.
Person: TypeAlias = User | AnonymousUser | None

# The member's role groups, kept on the user object for the rest of the request:
# a page asks several times (nav, badges, permission checks).
_CACHE_ATTR = "_role_names"


def _group_names(user: User) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def _check(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role; the roles are {', '.join(ROLES)}")


def has_role(user: Person, role: str) -> bool:
    """Whether ``user`` holds ``role`` (one of ROLES)."""
    _check(role)
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return role in _group_names(user)


def is_author(user: Person) -> bool:
    """May write drafts and submit them for review."""
    return has_role(user, AUTHOR)


def is_editor(user: Person) -> bool:
    """May run the review of submissions, approve author code and publish."""
    return has_role(user, EDITOR)


def is_moderator(user: Person) -> bool:
    """May moderate the forum: hide, lock, move, merge, suspend; sees hidden posts."""
    return has_role(user, MODERATOR)


def roles_of(user: Person) -> list[str]:
    """The role names a user holds, in a fixed order (all of them for staff)."""
    return [role for role in ROLES if has_role(user, role)]


def holders(role: str) -> QuerySet[User]:
    """Every active member who holds ``role``: its group's members, staff and superusers (for mailing them)."""
    _check(role)
    holds = Q(groups__name=role) | Q(is_staff=True) | Q(is_superuser=True)
    return User.objects.filter(holds, is_active=True).distinct()
