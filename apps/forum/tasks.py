"""Celery tasks of the forum: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from apps.forum import notify


@shared_task(name="forum.send_digests", queue="default", acks_late=True)
def send_digests() -> int:
    """Send the daily digest emails; safe to run twice (already emailed notifications are skipped)."""
    return notify.digest_send_all()


@shared_task(
    name="forum.send_notification_emails",
    # No queue attribute (deprecated in Celery 5): it goes to CELERY_TASK_DEFAULT_QUEUE, "default".
    acks_late=True,
    # A mail outage is expected now and then: try again after a random wait of at most 1, 2, 4... minutes
    # (Celery's jitter spreads the retries); the ones already sent are skipped.
    autoretry_for=(notify.EmailsNotSent,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email these notifications to members who chose immediate email; marks each sent, so a rerun sends no repeat."""
    return notify.send_immediate(notification_ids=notification_ids)
