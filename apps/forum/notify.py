"""Notifications: who hears about a new post, and how it reaches them by email.

The request only writes the notification rows; emails to members who chose
immediate email are sent by a worker (the task ``forum.send_notification_emails``
on the ``default`` queue), enqueued once the transaction commits, so a slow or
absent mail server never holds up a page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.validators import single_line
from apps.experiments.models import Run, RunStatus
from apps.forum.models import Follow, ForumProfile, Notification, Post

UNSUBSCRIBE_SALT = "forum.unsubscribe"
logger = logging.getLogger(__name__)


def unsubscribe_token(user: Any) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user: Any) -> str:
    return settings.SITE_URL + reverse("forum:unsubscribe", kwargs={"token": unsubscribe_token(user)})


def user_from_unsubscribe_token(token: str) -> Any | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=data.get("u")).first()


def email_mode(user: Any) -> str:
    profile = ForumProfile.objects.filter(user=user).first()
    return profile.email_mode if profile else ForumProfile.EmailMode.DIGEST


def notify_new_post(*, post: Post, mentioned: Iterable[User]) -> list[Notification]:
    """Create notifications for a new post: mentions, then the replied-to author, then followers.

    Each person hears once, by the most specific reason; the author never hears about their own post.
    Members who chose immediate email are emailed by a worker, enqueued after the transaction commits.
    """
    thread = post.thread
    notified: dict[int, Notification] = {}

    def add(user_id: int | None, kind: str) -> None:
        if user_id is None or user_id == post.author_id or user_id in notified:
            return
        notified[user_id] = Notification(user_id=user_id, kind=kind, thread=thread, post=post, actor_id=post.author_id)

    for user in mentioned:
        add(user.pk, Notification.Kind.MENTION)
    if post.reply_to_id is not None and post.reply_to is not None:
        add(post.reply_to.author_id, Notification.Kind.REPLY)
    followers = Follow.objects.filter(thread=thread).values_list("user_id", flat=True)
    category_followers = Follow.objects.filter(category_id=thread.category_id).values_list("user_id", flat=True)
    for user_id in [*followers, *category_followers]:
        add(user_id, Notification.Kind.FOLLOWED)
    if not notified:
        return []
    if thread.is_hidden:
        return []
    immediate = set(
        ForumProfile.objects.filter(
            user_id__in=list(notified), email_mode=ForumProfile.EmailMode.IMMEDIATE
        ).values_list("user_id", flat=True)
    )
    created = Notification.objects.bulk_create(notified.values())
    if immediate:
        ids = [n.pk for n in created if n.pk is not None and n.user_id in immediate]
        if not ids:  # backends that do not return ids from bulk_create
            ids = list(Notification.objects.filter(post=post, user_id__in=immediate).values_list("pk", flat=True))
        transaction.on_commit(partial(_enqueue_emails, ids))
    return created


def _enqueue_emails(notification_ids: list[int]) -> None:
    """Hand the immediate emails for these notifications to a worker."""
    from apps.forum.tasks import send_notification_emails  # tasks imports this module
    from config.celery import ensure_broker_folders

    try:
        ensure_broker_folders()
        send_notification_emails.apply_async(args=[notification_ids])
    except Exception:  # a broker outage must not turn a saved post into an error page; the inbox has them
        logger.exception("could not enqueue the emails for notifications %s", notification_ids)


def notify_moderation(*, user: Any, actor: Any, message: str, thread: Any = None, post: Any = None) -> None:
    """Tell a member about a moderator action that concerns them (in the inbox only)."""
    if user is None or actor is None or user.pk == actor.pk:
        return
    Notification.objects.create(
        user=user, kind=Notification.Kind.MODERATION, actor=actor, message=message[:300], thread=thread, post=post
    )


def notify_run_finished(run: Run) -> None:
    """Tell the person who requested ``run`` that it ended, in the inbox (and by email if they chose immediate).

    Registered with apps.experiments when the forum loads; runs the site asked
    for itself tell nobody.
    """
    if run.requested_by_id is None:
        return
    outcome = "succeeded" if run.status == RunStatus.SUCCEEDED else f"failed: {run.error or run.message}"
    notification = Notification.objects.create(
        user_id=run.requested_by_id,
        kind=Notification.Kind.RUN,
        message=f"Your run #{run.pk} of {run.experiment.title} {outcome}"[:300],
        link=run.get_absolute_url(),
    )
    immediate = ForumProfile.objects.filter(
        user_id=run.requested_by_id, email_mode=ForumProfile.EmailMode.IMMEDIATE
    ).exists()
    if immediate:
        transaction.on_commit(partial(_enqueue_emails, [notification.pk]))


def _send(user: Any, subject: str, notifications: list[Notification]) -> None:
    # Django refuses a subject with a line break (header injection) and the message would never
    # leave; titles are one line now, but a row written before may not be.
    subject = single_line(subject)
    context = {
        "user": user,
        "notifications": notifications,
        "unsubscribe_url": unsubscribe_url(user),
        "SITE_URL": settings.SITE_URL,
        "SITE_NAME": settings.SITE_NAME,
    }
    body = render_to_string("forum/email/notifications.txt", context)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send(fail_silently=False)


class EmailsNotSent(Exception):
    """Some notification emails could not be sent; they stay unsent (and in the inbox) for the next attempt."""


def send_immediate(*, notification_ids: list[int]) -> int:
    """Email the given notifications to recipients who chose immediate email, marking each one sent; returns how many.

    Already emailed or read notifications are skipped, so running it again sends only what is left. Raises
    EmailsNotSent after trying every one if any could not be sent (the task then tries again later).
    """
    pending = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True, read_at__isnull=True)
        .filter(user__forum_profile__email_mode=ForumProfile.EmailMode.IMMEDIATE)
        .exclude(user__email="")
        .select_related("user", "thread", "post", "actor")
    )
    sent = 0
    failed: list[int] = []
    for notification in pending:
        subject = f"[{settings.SITE_NAME}] {single_line(notification.thread.title) if notification.thread else 'Forum'}"
        try:
            _send(notification.user, subject, [notification])
        except Exception:  # one bad address or a mail outage must not stop the others
            logger.exception("could not email notification %s; it stays in the inbox", notification.pk)
            failed.append(notification.pk)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    if failed:
        raise EmailsNotSent(f"{len(failed)} notification emails not sent ({sent} sent): {failed}")
    return sent


def digest_send_all() -> int:
    """Send each digest subscriber one email with their unread, not yet emailed notifications; returns emails sent.

    Members without a forum profile get the default (digest). Notifications are marked emailed, so running it
    twice sends nothing new.
    """
    User = get_user_model()
    pending = Notification.objects.filter(read_at__isnull=True, emailed_at__isnull=True)
    users = (
        User.objects.filter(pk__in=pending.values("user_id"), is_active=True)
        .exclude(email="")
        .exclude(forum_profile__email_mode__in=[ForumProfile.EmailMode.IMMEDIATE, ForumProfile.EmailMode.OFF])
    )
    sent = 0
    for user in users:
        with transaction.atomic():
            items = list(
                pending.filter(user=user)
                .select_for_update(of=("self",))
                .select_related("thread", "post", "actor")
                .order_by("created")
            )
            if not items:
                continue
            try:
                _send(user, f"[{settings.SITE_NAME}] {len(items)} new in the forum", items)
            except Exception:  # one bad address or a mail outage must not stop everyone else's digest
                logger.exception("could not send the forum digest to user %s", user.pk)
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
        sent += 1
    return sent
