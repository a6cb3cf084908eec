"""Who is asking: the client's address as this deployment can trust it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address.

    Behind our reverse proxy (DJANGO_BEHIND_PROXY) every request comes from the
    proxy, so the client is the last address in X-Forwarded-For: the one the
    proxy appended itself. Addresses further left were sent by the client and
    could be forged.
    """
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return str(request.META.get("REMOTE_ADDR", ""))
