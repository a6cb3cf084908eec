from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.forum import notify


class Command(BaseCommand):
    help = "Email each digest subscriber one message with their unread forum notifications (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = notify.digest_send_all()
        self.stdout.write(f"sent {sent} digest email(s)")
