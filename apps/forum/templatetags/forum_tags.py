from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def forum_unread_count(context: Any) -> int:
    """Unread forum notifications of the signed-in user: one query, none for visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from apps.forum.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@register.simple_tag(takes_context=True)
def forum_discussions(context: Any, obj: Any) -> dict[str, Any]:
    """Threads attached to an article version, open question or run, and its target label for 'start a discussion'."""
    from apps.forum.selectors import discussions_of
    from apps.forum.targets import ALLOWED_TARGETS, target_label

    if obj is None or getattr(obj, "pk", None) is None:
        return {"threads": [], "label": ""}
    request = context.get("request")
    user = getattr(request, "user", None)
    threads = discussions_of(obj, user=user)
    allowed = f"{obj._meta.app_label}.{obj._meta.model_name}" in ALLOWED_TARGETS
    return {"threads": threads, "label": target_label(obj) if allowed else ""}


@register.simple_tag(takes_context=True)
def forum_recent_threads(context: Any, count: int = 5) -> list[Any]:
    from apps.forum.models import Thread

    request = context.get("request")
    return list(
        Thread.objects.visible_to(getattr(request, "user", None))
        .select_related("category")
        .order_by("-last_activity")[: max(1, min(int(count), 20))]
    )
