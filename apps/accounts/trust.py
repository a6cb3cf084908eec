"""Trust levels: how far the site trusts a member with what everyone shares, decided once.

After Discourse. A member starts at NEW, held to tight limits (the forum's
links, mentions and posts a day; only starter runs of the experiments), until
the account is a day old and has written three forum posts (MEMBER); fifteen days and twenty
posts make a REGULAR; whoever holds the moderator role (apps.accounts.roles,
staff included) is at MODERATOR. A moderator may grant a level, which acts as a
floor.

The facts these levels are drawn from (posts others can read, the level a
moderator granted, an active suspension) are kept by the forum, and accounts
imports nothing from it: the forum registers a *standing provider* when it
loads (ForumConfig.ready), the way apps register with the admin. With no
provider registered every fact is zero: everyone is NEW until their role says
otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Person, is_moderator

NEW = 0
MEMBER = 1
REGULAR = 2
MODERATOR = 4

TL1_MIN_AGE = timedelta(days=1)
TL1_MIN_POSTS = 3
TL2_MIN_AGE = timedelta(days=15)
TL2_MIN_POSTS = 20


@dataclass(frozen=True)
class Standing:
    """What the site knows of a member's conduct, as the registered provider reports it."""

    # Forum posts others can read (neither deleted nor hidden by a moderator).
    posts: int = 0
    # A floor a moderator set; levels above REGULAR come from the moderator role, never from a grant.
    granted_level: int = NEW
    # When the member's active suspension ends; None when there is none.
    suspended_until: datetime | None = None


StandingProvider = Callable[[User], Standing]

NO_STANDING = Standing()
_provider: StandingProvider | None = None

# Kept on the user object for the rest of the request, like the role names:
# the forum asks for the level several times while checking one post.
_CACHE_ATTR = "_standing"


def register_standing_provider(provider: StandingProvider | None) -> StandingProvider | None:
    """Make ``provider`` the source of every member's standing; returns the provider it replaces.

    None unregisters (every fact is then zero).
    """
    global _provider
    previous, _provider = _provider, provider
    return previous


def standing(user: Person) -> Standing:
    """The member's standing from the registered provider (zeros for visitors or without a provider)."""
    if not isinstance(user, User):
        return NO_STANDING
    cached: Standing | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = _provider(user) if _provider is not None else NO_STANDING
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_standing(user: Person) -> None:
    """Drop the standing kept on ``user``, after a change to it (a suspension) in the same request."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def trust_level(user: Person) -> int:
    """NEW, MEMBER, REGULAR or MODERATOR: earned by account age and posts, granted, or held by role."""
    if not isinstance(user, User) or not user.is_active:
        return NEW
    if is_moderator(user):
        return MODERATOR
    facts = standing(user)
    age = timezone.now() - user.date_joined
    earned = NEW
    if age >= TL2_MIN_AGE and facts.posts >= TL2_MIN_POSTS:
        earned = REGULAR
    elif age >= TL1_MIN_AGE and facts.posts >= TL1_MIN_POSTS:
        earned = MEMBER
    return max(earned, min(facts.granted_level, REGULAR))


class RunAllowance(enum.Enum):
    """How much a person may have the site compute (quotas come on top, in apps.experiments)."""

    NONE = "none"  # no runs at all
    STARTER = "starter"  # the smoke preset, no larger than it is, a few a day: a new member's first runs
    FULL = "full"  # any run


@dataclass(frozen=True)
class RunPermission:
    """A person's run allowance and, unless it is FULL, one sentence: what is limited and what lifts it."""

    allowance: RunAllowance
    reason: str = ""


def run_permission(user: Person) -> RunPermission:
    """What ``user`` may have the site compute, and why not more.

    Visitors, deactivated and suspended accounts run nothing. A NEW member
    with a verified email address gets starter runs (each experiment's smoke
    preset, within a small daily quota), so that a first run needs no waiting;
    MEMBER and above may request any run.
    """
    if not isinstance(user, User):
        return RunPermission(RunAllowance.NONE, "Sign in to run experiments.")
    if not user.is_active:
        return RunPermission(
            RunAllowance.NONE,
            "This account is deactivated; it can request runs again once the site's staff reactivate it.",
        )
    facts = standing(user)
    if facts.suspended_until is not None and facts.suspended_until > timezone.now():
        return RunPermission(
            RunAllowance.NONE,
            f"Your account is suspended until {_moment(facts.suspended_until)}; you can request runs after that.",
        )
    if trust_level(user) >= MEMBER:
        return RunPermission(RunAllowance.FULL)
    if settings.RUNS_STARTER_PER_DAY == 0:
        return RunPermission(RunAllowance.NONE, f"New members run nothing yet: {_promotion(user, facts)}")
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        return RunPermission(
            RunAllowance.NONE, "Verify your email address (see your account's email page) to run experiments."
        )
    return RunPermission(
        RunAllowance.STARTER,
        "New members can run each experiment's smoke preset, up to "
        f"{_number(settings.RUNS_STARTER_PER_DAY)} a day; {_promotion(user, facts)}",
    )


def _promotion(user: User, facts: Standing) -> str:
    """When a NEW member may request any run: the conditions still missing, and how far they are."""
    old_enough = timezone.now() - user.date_joined >= TL1_MIN_AGE
    wrote_enough = facts.posts >= TL1_MIN_POSTS
    age, posts = _span(TL1_MIN_AGE), _number(TL1_MIN_POSTS)
    written = str(facts.posts) if facts.posts else "none yet"
    if not old_enough and not wrote_enough:
        return (
            f"any run opens once your account is {age} old and you have written "
            f"{posts} forum posts (you have {written})."
        )
    if not wrote_enough:
        return f"any run opens once you have written {posts} forum posts (you have {written})."
    return (
        f"any run opens once your account is {age} old, which it will be on {_moment(user.date_joined + TL1_MIN_AGE)}."
    )


def run_ineligibility(user: Person) -> str | None:
    """None when ``user`` may have the site run anything (starter runs included); else why not and what lifts it."""
    permission = run_permission(user)
    return permission.reason if permission.allowance is RunAllowance.NONE else None


def can_request_runs(user: Person) -> bool:
    """Whether ``user`` may ask the site to run experiments at all (a new member's starter runs count)."""
    return run_permission(user).allowance is not RunAllowance.NONE


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _number(n: int) -> str:
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def _span(delta: timedelta) -> str:
    days = delta.days
    return "a day" if days == 1 else f"{_number(days)} days"


def _moment(when: datetime) -> str:
    utc = when.astimezone(UTC)
    return f"{utc.day} {utc:%B %Y}, {utc:%H:%M} UTC"
