"""Celery tasks of the forum: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from apps.forum import notify


@shared_task(name="forum.send_digests", queue="default", acks_late=True)
def send_digests() -> int:
    """Send the daily digest emails; safe to run twice (already emailed notifications are skipped)."""
    return notify.digest_send_all()
