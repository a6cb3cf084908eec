"""The forum's posting limits, which depend on the member's trust level.

The level itself (NEW, MEMBER, REGULAR, MODERATOR) is decided by
apps.accounts.trust; the forum keeps what it limits: links and mentions per
post, posts a day for new members, and posts a minute for everyone below
moderator (edits count against the same allowance). The per-minute count lives in the Django cache, so with
REDIS_CACHE_URL set it holds across every web process.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Person, is_moderator
from apps.accounts.trust import NEW, trust_level
from apps.forum.permissions import is_suspended

_LINK = re.compile(r"(?i)\b(?:https?://|www\.)|\]\(")
_FENCE = re.compile(r"```.*?(```|\Z)", re.S)
_CODE = re.compile(r"`[^`\n]*`")
_BRACKETS = re.compile(r"\[[^\]\n]*\]")
_FIGURE = re.compile(r"^\s*(```|~~~)\s*figure\b", re.M)
_MENTION = re.compile(r"(?<![\w@/.+-])@([A-Za-z0-9_][A-Za-z0-9_.+-]{0,149})")


class RateLimited(Exception):
    """Too many posts too quickly: the view answers 429 with this message."""

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _prose(body: str) -> str:
    """The body without code, where links and @names are not meant as such."""
    return _CODE.sub(" ", _FENCE.sub(" ", body))


def count_links(body: str) -> int:
    return len(_LINK.findall(_prose(body)))


def mentioned_names(body: str) -> list[str]:
    """@usernames in the body, in order, without duplicates; citations like [@key] are not mentions."""
    text = _BRACKETS.sub(" ", _prose(body))
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        seen.setdefault(match.group(1).rstrip(".").lower(), None)
    return list(seen)


def check_content(*, user: Person, body: str, mentions: int) -> None:
    """Raise ValidationError naming the body if it breaks the user's trust-level limits."""
    if is_moderator(user):
        return
    level = trust_level(user)
    errors: list[str] = []
    if level == NEW:
        links = count_links(body)
        most = settings.FORUM_TL0_MAX_LINKS
        if links > most:
            errors.append(
                f"New members may include at most {most} links in a post (this one has {links}). "
                "The limit lifts after a day and a few posts."
            )
        if _FIGURE.search(body):
            errors.append("New members cannot embed experiment figures yet: figures start runs on the site's workers.")
        if mentions > settings.FORUM_TL0_MAX_MENTIONS:
            errors.append(f"New members may mention at most {settings.FORUM_TL0_MAX_MENTIONS} people in a post.")
    elif mentions > settings.FORUM_MAX_MENTIONS:
        errors.append(f"A post may mention at most {settings.FORUM_MAX_MENTIONS} people.")
    if errors:
        raise ValidationError({"body": errors})


def check_posting_allowed(user: Person) -> None:
    """Raise if the user may not post now: suspended (ValidationError) or over a rate limit (RateLimited).

    Call it last, just before writing: the per-minute counter is consumed here.
    """
    from apps.forum.models import Post

    if not isinstance(user, User):
        raise ValidationError({"__all__": ["Log in to post."]})
    if is_suspended(user):
        raise ValidationError({"__all__": ["Your account is suspended from posting."]})
    if is_moderator(user):
        return
    if trust_level(user) == NEW:
        since = timezone.now() - timedelta(days=1)
        today = Post.objects.filter(author=user, created__gte=since).count()
        if today >= settings.FORUM_TL0_POSTS_PER_DAY:
            raise RateLimited(
                f"New members may post {settings.FORUM_TL0_POSTS_PER_DAY} times a day; please come back tomorrow.",
                retry_after=3600,
            )
    _take_from_minute_allowance(user)


def check_editing_allowed(user: Person) -> None:
    """Raise if the user may not edit a post now: suspended (ValidationError) or over the rate (RateLimited).

    Edits and posts share one per-minute allowance: an edit rewrites what readers
    and followers see as surely as a new post does. Call it just before writing.
    """
    if not isinstance(user, User):
        raise ValidationError({"__all__": ["Log in to edit."]})
    if is_suspended(user):
        raise ValidationError({"__all__": ["Your account is suspended from posting."]})
    if is_moderator(user):
        return
    _take_from_minute_allowance(user)


def _take_from_minute_allowance(user: User) -> None:
    bucket = int(time.time() // 60)
    key = f"forum:rate:post:{user.pk}:{bucket}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > settings.FORUM_POSTS_PER_MINUTE:
        raise RateLimited(
            f"You are posting too quickly: at most {settings.FORUM_POSTS_PER_MINUTE} posts and edits a minute. "
            "Wait a moment and try again.",
            retry_after=60 - int(time.time()) % 60,
        )
