"""Every write in the forum. Views and the API call these and nothing else.

Services take keyword-only arguments, check permissions themselves (raising
PermissionDenied), validate input (raising ValidationError with a field dict)
and run in one transaction, so a refused action leaves nothing half-written.
Every moderator action writes a ModerationLog row.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.roles import is_moderator
from apps.accounts.trust import forget_standing
from apps.core import pagecache
from apps.core.validators import validate_single_line
from apps.forum import notify, trust
from apps.forum.indexing import posts_index, thread_index
from apps.forum.models import (
    Category,
    Flag,
    Follow,
    ForumProfile,
    ModerationLog,
    Post,
    PostRevision,
    Suspension,
    Thread,
    Vote,
)
from apps.forum.permissions import can_delete_post, can_edit_post, can_see_thread, is_suspended
from apps.forum.rendering import render_body
from apps.forum.targets import check_target
from apps.perspectives.models import Version
from apps.questions.models import Question

MAX_BODY = 50_000
_TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")


# --- helpers -------------------------------------------------------------------


def _require_user(user: Any) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in first.")


def _require_member(user: Any) -> None:
    _require_user(user)
    if is_suspended(user) and not is_moderator(user):
        raise PermissionDenied("Your account is suspended.")


def _require_moderator(user: Any) -> None:
    if not is_moderator(user):
        raise PermissionDenied("Only moderators may do that.")


def _log(*, actor: Any, action: str, target: Any, reason: str = "", details: dict | None = None) -> ModerationLog:
    url = ""
    if hasattr(target, "get_absolute_url"):
        url = target.get_absolute_url()
    return ModerationLog.objects.create(
        actor=actor,
        action=action,
        target_repr=f"{target._meta.verbose_name} {target.pk}: {target}"[:300],
        target_url=url[:300],
        reason=reason,
        details=details or {},
    )


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something first."]})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": [f"Posts are limited to {MAX_BODY:,} characters."]})
    return body


def _mentioned_users(body: str) -> list[Any]:
    names = trust.mentioned_names(body)
    if not names:
        return []
    User = get_user_model()
    # Usernames keep their case but people type them as they like; 30 names is beyond any limit a post may reach.
    match = Q()
    for name in names[:30]:
        match |= Q(username__iexact=name)
    return list(User.objects.filter(match, is_active=True))


def _clean_tags(tags: Any) -> list[str]:
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    cleaned: list[str] = []
    for tag in tags or []:
        tag = slugify(str(tag))
        if not tag:
            continue
        if not _TAG.match(tag):
            raise ValidationError({"tags": [f"{tag!r} is not a valid tag."]})
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > 5:
        raise ValidationError({"tags": ["At most five tags."]})
    return cleaned


def _insert_post(*, user: Any, thread: Thread, body: str, reply_to: Post | None, mentioned: list[Any]) -> Post:
    now = timezone.now()
    # The caller holds the thread's row lock (or just created it), so no other post takes this number.
    last = thread.posts.aggregate(n=Max("position"))["n"] or 0
    post = Post.objects.create(
        thread=thread, author=user, body=body, html="", reply_to=reply_to, created=now, position=last + 1
    )
    _render_into(post, user=user, mentioned=mentioned)
    Thread.objects.filter(pk=thread.pk).update(post_count=F("post_count") + 1, last_activity=now)
    thread.post_count += 1
    thread.last_activity = now
    Follow.objects.get_or_create(user=user, thread=thread)
    notify.notify_new_post(post=post, mentioned=mentioned)
    return post


def _target_tags(thread: Thread) -> list[str]:
    """The cached page that lists this thread under "Discussion": its article's or its question's."""
    if not thread.target_content_type_id:
        return []
    target = thread.target
    if isinstance(target, Version):
        return [pagecache.article(target.article.slug)]
    if isinstance(target, Question):
        return [pagecache.question(target.number)]
    return []


def _listed_thread_changed(thread: Thread, *also: str) -> None:
    """Make stale the thread's pages and every cached list that shows it (counts, activity, status)."""
    pagecache.invalidate(
        pagecache.thread(thread.pk),
        pagecache.FORUM,
        pagecache.category(thread.category.slug),
        *_target_tags(thread),
        *also,
    )


# Positions are moved above these while a merged thread is renumbered, so that no two posts share one.
_ASIDE = 1_000_000_000
_MOVED_ASIDE = 2_000_000_000


def _renumber(thread: Thread) -> None:
    """Number the thread's posts 1, 2, 3 ... in time order again (after posts were merged into it)."""
    Post.objects.filter(thread=thread, position__lt=_ASIDE).update(position=F("position") + _ASIDE)
    posts = list(Post.objects.filter(thread=thread).order_by("created", "id").only("pk"))
    for number, post in enumerate(posts, start=1):
        post.position = number
    Post.objects.bulk_update(posts, ["position"], batch_size=500)


def _render_into(post: Post, *, user: Any, mentioned: list[Any]) -> None:
    # Ids inside a post are prefixed with the post's own id, so a post is rendered once its row
    # exists; the caller's transaction keeps the empty html from ever being seen.
    post.html, errors = render_body(post.body, author=user, post_id=post.pk, mentions=[u.username for u in mentioned])
    Post.objects.filter(pk=post.pk).update(html=post.html)
    post.render_errors = errors  # type: ignore[attr-defined]  # problems the author should fix, for the view


def _recount(thread: Thread) -> None:
    stats = thread.posts.aggregate(last=Max("created"), n=models.Count("id"))
    thread.post_count = stats["n"] or 0
    thread.last_activity = stats["last"] or thread.created
    Thread.objects.filter(pk=thread.pk).update(post_count=thread.post_count, last_activity=thread.last_activity)


# --- categories ----------------------------------------------------------------


@transaction.atomic
def category_sync(*, categories: list[dict]) -> int:
    """Upsert categories by slug from site/forum/categories.yaml, in file order; returns how many changed."""
    changed = 0
    for position, item in enumerate(categories):
        if not isinstance(item, dict) or not item.get("slug") or not item.get("name"):
            raise ValidationError({"categories": [f"Entry {position + 1} needs a slug and a name."]})
        slug = str(item["slug"])
        if slugify(slug) != slug:
            raise ValidationError({"categories": [f"{slug!r} is not a valid slug."]})
        try:
            validate_single_line(str(item["name"]))
        except ValidationError as exc:
            raise ValidationError({"categories": [f"Entry {position + 1} ({slug}): {exc.messages[0]}"]}) from None
        wanted = {"name": str(item["name"]), "description": str(item.get("description", "")), "position": position}
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            Category.objects.create(slug=slug, **wanted)
            changed += 1
        elif any(getattr(category, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(category, key, value)
            category.save()
            changed += 1
            pagecache.invalidate(pagecache.category(slug))
    if changed:
        pagecache.invalidate(pagecache.FORUM)
    return changed


# --- threads and posts ---------------------------------------------------------


@transaction.atomic
def thread_create(
    *,
    user: Any,
    category: Category,
    title: str,
    body: str,
    is_question: bool = False,
    tags: Any = (),
    target: models.Model | None = None,
) -> Thread:
    """Start a thread with its first post (optionally attached to an article version, question or run)."""
    _require_user(user)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Give the thread a title."]
    elif len(title) > 200:
        errors["title"] = ["Titles are limited to 200 characters."]
    else:
        try:
            validate_single_line(title)
        except ValidationError as exc:
            errors["title"] = exc.messages
    try:
        body = _clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    clean_tags = _clean_tags(tags)
    check_target(target)
    mentioned = _mentioned_users(body)
    trust.check_content(user=user, body=body, mentions=len(mentioned))
    trust.check_posting_allowed(user)
    thread = Thread(category=category, title=title, author=user, is_question=bool(is_question), tags=clean_tags)
    if target is not None:
        thread.target = target
    thread.save()
    post = _insert_post(user=user, thread=thread, body=body, reply_to=None, mentioned=mentioned)
    thread.render_errors = post.render_errors  # type: ignore[attr-defined]
    _listed_thread_changed(thread)
    posts_index([post])
    return thread


@transaction.atomic
def post_create(*, user: Any, thread: Thread, body: str, reply_to: Post | None = None) -> Post:
    """Reply in a thread (optionally to one post); notifies mentioned people, the replied-to author and followers."""
    _require_user(user)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not can_see_thread(user, thread) or thread.merged_into_id:
        raise PermissionDenied("This thread is not available.")
    if thread.is_locked and not is_moderator(user):
        raise ValidationError({"__all__": ["This thread is locked: it takes no new replies."]})
    if reply_to is not None and reply_to.thread_id != thread.pk:
        raise ValidationError({"reply_to": ["You can only reply to a post in the same thread."]})
    body = _clean_body(body)
    mentioned = _mentioned_users(body)
    trust.check_content(user=user, body=body, mentions=len(mentioned))
    trust.check_posting_allowed(user)
    post = _insert_post(user=user, thread=thread, body=body, reply_to=reply_to, mentioned=mentioned)
    _listed_thread_changed(thread)
    posts_index([post])
    return post


@transaction.atomic
def post_edit(*, user: Any, post: Post, body: str) -> Post:
    """Change a post's body, keeping the previous body as a revision."""
    if not can_edit_post(user, post):
        raise PermissionDenied("You cannot edit this post.")
    _require_member(user)
    body = _clean_body(body)
    if body == post.body:
        return post
    mentioned = _mentioned_users(body)
    trust.check_content(user=user, body=body, mentions=len(mentioned))
    trust.check_editing_allowed(user)
    PostRevision.objects.create(post=post, body=post.body, edited_by=user)
    post.body = body
    post.html, errors = render_body(body, author=user, post_id=post.pk, mentions=[u.username for u in mentioned])
    post.render_errors = errors  # type: ignore[attr-defined]
    post.edited = timezone.now()
    post.save(update_fields=["body", "html", "edited"])
    if post.author_id != user.pk:
        _log(actor=user, action="post_edit", target=post, details={"author": post.author_id})
    pagecache.invalidate(pagecache.thread(post.thread_id))
    posts_index([post])
    return post


@transaction.atomic
def post_delete(*, user: Any, post: Post) -> Post:
    """Soft-delete a post: its body disappears from the thread, the row and its history stay."""
    if not can_delete_post(user, post):
        raise PermissionDenied("You cannot delete this post.")
    if post.is_deleted:
        return post
    post.is_deleted = True
    post.save(update_fields=["is_deleted"])
    if post.author_id != user.pk:
        _log(actor=user, action="post_delete", target=post)
    pagecache.invalidate(pagecache.thread(post.thread_id))
    posts_index([post])
    return post


@transaction.atomic
def post_vote(*, user: Any, post: Post, up: bool = True) -> Post:
    """Add (up=True) or withdraw an upvote; members cannot vote for their own posts."""
    _require_member(user)
    if post.author_id == user.pk:
        raise ValidationError({"__all__": ["You cannot vote for your own post."]})
    if post.is_deleted or (post.is_hidden and not is_moderator(user)) or not can_see_thread(user, post.thread):
        raise PermissionDenied("This post is not available.")
    if up:
        try:
            with transaction.atomic():
                Vote.objects.create(post=post, user=user)
        except IntegrityError:
            return post
        Post.objects.filter(pk=post.pk).update(score=F("score") + 1)
    else:
        deleted, _ = Vote.objects.filter(post=post, user=user).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(score=F("score") - 1)
    post.refresh_from_db(fields=["score"])
    pagecache.invalidate(pagecache.thread(post.thread_id))  # scores show on the thread's pages only
    return post


@transaction.atomic
def post_flag(*, user: Any, post: Post, reason: str, text: str = "") -> Flag:
    """Report a post to the moderators with a reason."""
    _require_member(user)
    if reason not in Flag.Reason.values:
        raise ValidationError({"reason": ["Choose one of the reasons."]})
    if reason == Flag.Reason.OTHER and not text.strip():
        raise ValidationError({"text": ["Say what is wrong."]})
    if post.author_id == user.pk:
        raise ValidationError({"__all__": ["You cannot flag your own post."]})
    if post.is_deleted or not can_see_thread(user, post.thread):
        raise PermissionDenied("This post is not available.")
    flag, created = Flag.objects.get_or_create(
        post=post, user=user, defaults={"reason": reason, "text": text.strip()[:2000]}
    )
    if not created and flag.resolved_at is None:
        flag.reason, flag.text = reason, text.strip()[:2000]
        flag.save(update_fields=["reason", "text"])
    return flag


@transaction.atomic
def post_hide(*, moderator: Any, post: Post, reason: str = "") -> Post:
    """Hide a post from everyone but moderators, and resolve its open flags."""
    _require_moderator(moderator)
    post.is_hidden = True
    post.save(update_fields=["is_hidden"])
    Flag.objects.filter(post=post, resolved_at__isnull=True).update(
        resolved_by=moderator, resolved_at=timezone.now(), resolution=Flag.Resolution.HIDDEN
    )
    _log(actor=moderator, action="post_hide", target=post, reason=reason)
    pagecache.invalidate(pagecache.thread(post.thread_id))
    posts_index([post])
    notify.notify_moderation(
        user=post.author,
        actor=moderator,
        thread=post.thread,
        post=post,
        message=f"A moderator hid your post. {reason}".strip(),
    )
    return post


@transaction.atomic
def post_restore(*, moderator: Any, post: Post, reason: str = "") -> Post:
    """Make a hidden (or deleted) post visible again."""
    _require_moderator(moderator)
    post.is_hidden = False
    post.is_deleted = False
    post.save(update_fields=["is_hidden", "is_deleted"])
    _log(actor=moderator, action="post_restore", target=post, reason=reason)
    pagecache.invalidate(pagecache.thread(post.thread_id))
    posts_index([post])
    return post


@transaction.atomic
def flag_dismiss(*, moderator: Any, post: Post, reason: str = "") -> int:
    """Close a post's open flags without acting on the post; returns how many were closed."""
    _require_moderator(moderator)
    count = Flag.objects.filter(post=post, resolved_at__isnull=True).update(
        resolved_by=moderator, resolved_at=timezone.now(), resolution=Flag.Resolution.DISMISSED
    )
    _log(actor=moderator, action="flags_dismiss", target=post, reason=reason, details={"flags": count})
    return count


def _thread_flag(*, moderator: Any, thread: Thread, field: str, value: bool, action: str, reason: str) -> Thread:
    _require_moderator(moderator)
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    _log(actor=moderator, action=action, target=thread, reason=reason)
    _listed_thread_changed(thread)
    if field == "is_hidden":
        thread_index(thread)
    return thread


@transaction.atomic
def thread_lock(*, moderator: Any, thread: Thread, locked: bool = True, reason: str = "") -> Thread:
    """Lock (or unlock) a thread against new replies."""
    return _thread_flag(
        moderator=moderator,
        thread=thread,
        field="is_locked",
        value=locked,
        action="thread_lock" if locked else "thread_unlock",
        reason=reason,
    )


@transaction.atomic
def thread_pin(*, moderator: Any, thread: Thread, pinned: bool = True, reason: str = "") -> Thread:
    """Pin (or unpin) a thread at the top of its category."""
    return _thread_flag(
        moderator=moderator,
        thread=thread,
        field="is_pinned",
        value=pinned,
        action="thread_pin" if pinned else "thread_unpin",
        reason=reason,
    )


@transaction.atomic
def thread_hide(*, moderator: Any, thread: Thread, hidden: bool = True, reason: str = "") -> Thread:
    """Hide (or restore) a whole thread."""
    return _thread_flag(
        moderator=moderator,
        thread=thread,
        field="is_hidden",
        value=hidden,
        action="thread_hide" if hidden else "thread_restore",
        reason=reason,
    )


@transaction.atomic
def thread_move(*, moderator: Any, thread: Thread, category: Category, reason: str = "") -> Thread:
    """Move a thread to another category."""
    _require_moderator(moderator)
    old = thread.category
    thread.category = category
    thread.save(update_fields=["category"])
    _log(
        actor=moderator,
        action="thread_move",
        target=thread,
        reason=reason,
        details={"from": old.slug, "to": category.slug},
    )
    _listed_thread_changed(thread, pagecache.category(old.slug))
    return thread


@transaction.atomic
def thread_merge(*, moderator: Any, thread: Thread, into: Thread, reason: str = "") -> Thread:
    """Move every post of `thread` into `into`, in time order; the old thread's URL then redirects."""
    _require_moderator(moderator)
    if thread.pk == into.pk:
        raise ValidationError({"into": ["A thread cannot be merged into itself."]})
    if into.merged_into_id:
        raise ValidationError({"into": ["That thread was itself merged away."]})
    into = Thread.objects.select_for_update().get(pk=into.pk)
    moved = Post.objects.filter(thread=thread).update(thread=into, position=F("position") + _MOVED_ASIDE)
    _renumber(into)
    Follow.objects.filter(thread=thread).exclude(user__in=Follow.objects.filter(thread=into).values("user")).update(
        thread=into
    )
    thread.merged_into = into
    thread.post_count = 0
    thread.save(update_fields=["merged_into", "post_count"])
    _recount(into)
    _log(
        actor=moderator, action="thread_merge", target=thread, reason=reason, details={"into": into.pk, "posts": moved}
    )
    _listed_thread_changed(thread)
    _listed_thread_changed(into)
    thread_index(into)
    return into


@transaction.atomic
def answer_accept(*, user: Any, post: Post, accepted: bool = True) -> Thread:
    """Mark (or unmark) a post as the accepted answer of its question thread: the asker or a moderator."""
    _require_user(user)
    thread = post.thread
    if not (thread.author_id == user.pk or is_moderator(user)):
        raise PermissionDenied("Only the person who asked, or a moderator, can accept an answer.")
    if not thread.is_question:
        raise ValidationError({"__all__": ["Only question threads have accepted answers."]})
    if accepted and (post.is_deleted or post.is_hidden):
        raise ValidationError({"__all__": ["A deleted or hidden post cannot be the answer."]})
    thread.accepted_post = post if accepted else None
    thread.save(update_fields=["accepted_post"])
    if thread.author_id != user.pk:
        _log(
            actor=user,
            action="answer_accept" if accepted else "answer_unaccept",
            target=thread,
            details={"post": post.pk},
        )
    _listed_thread_changed(thread)
    return thread


@transaction.atomic
def user_suspend(*, moderator: Any, user: Any, reason: str, until: datetime) -> Suspension:
    """Stop a member from posting, voting and flagging until a given time, with a reason they are shown."""
    _require_moderator(moderator)
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = ["Give a reason; the member will see it."]
    if until is None or until <= timezone.now():
        errors["until"] = ["The end of the suspension must be in the future."]
    if is_moderator(user):
        errors["user"] = ["Moderators cannot be suspended here; change their group first."]
    if errors:
        raise ValidationError(errors)
    suspension = Suspension.objects.create(user=user, reason=reason.strip(), until=until, by=moderator)
    forget_standing(user)  # the member's standing (apps.accounts.trust) now includes the suspension
    _log(actor=moderator, action="user_suspend", target=user, reason=reason, details={"until": until.isoformat()})
    notify.notify_moderation(user=user, actor=moderator, message=f"You are suspended from posting: {reason}")
    return suspension


@transaction.atomic
def user_unsuspend(*, moderator: Any, user: Any, reason: str = "") -> int:
    """Lift a member's active suspensions; returns how many."""
    _require_moderator(moderator)
    count = Suspension.objects.active().filter(user=user).update(lifted_at=timezone.now())
    forget_standing(user)
    _log(actor=moderator, action="user_unsuspend", target=user, reason=reason, details={"lifted": count})
    return count


# --- following, inbox and settings -----------------------------------------------


def follow(*, user: Any, thread: Thread | None = None, category: Category | None = None) -> Follow:
    """Follow a thread or a category (exactly one)."""
    _require_user(user)
    if (thread is None) == (category is None):
        raise ValidationError({"__all__": ["Follow either a thread or a category."]})
    if thread is not None and not can_see_thread(user, thread):
        raise PermissionDenied("This thread is not available.")
    follow_row, _ = Follow.objects.get_or_create(user=user, thread=thread, category=category)
    return follow_row


def unfollow(*, user: Any, thread: Thread | None = None, category: Category | None = None) -> int:
    """Stop following a thread or a category; returns rows removed."""
    _require_user(user)
    if (thread is None) == (category is None):
        raise ValidationError({"__all__": ["Unfollow either a thread or a category."]})
    deleted, _ = Follow.objects.filter(user=user, thread=thread, category=category).delete()
    return deleted


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all, or the given ids among theirs); returns how many."""
    _require_user(user)
    qs = user.forum_notifications.unread()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def profile_update(*, user: Any, email_mode: str) -> ForumProfile:
    """Set how forum notifications reach the user by email."""
    _require_user(user)
    if email_mode not in ForumProfile.EmailMode.values:
        raise ValidationError({"email_mode": ["Choose one of the options."]})
    profile, _ = ForumProfile.objects.get_or_create(user=user)
    profile.email_mode = email_mode
    profile.save(update_fields=["email_mode"])
    return profile


def unsubscribe(*, token: str) -> Any:
    """Turn off forum email for the user named in a signed unsubscribe token; returns the user."""
    user = notify.user_from_unsubscribe_token(token)
    if user is None:
        raise ValidationError({"token": ["This unsubscribe link is not valid."]})
    profile, _ = ForumProfile.objects.get_or_create(user=user)
    profile.email_mode = ForumProfile.EmailMode.OFF
    profile.save(update_fields=["email_mode"])
    return user
