from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _admin_changed(**kwargs: Any) -> None:
    """The admin writes models directly, not through the services, so its every change makes all cached pages stale.

    Its change log (one LogEntry per add, change or delete) is the one point every admin write passes.
    """
    from apps.core import pagecache

    pagecache.invalidate(pagecache.EVERYTHING)


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        post_save.connect(_admin_changed, sender=LogEntry, dispatch_uid="pagecache-admin-changed")
