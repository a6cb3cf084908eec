"""How django-axes names the account behind a login attempt.

allauth passes the login as ``username=`` or ``email=`` depending on what was
typed, so without this hook axes would see no username at all, and an attacker
could double their guesses by alternating between a member's username and
email address. Both spellings map to one lowercase key here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The key axes counts failures against: the member's username if the login names one."""
    from apps.accounts.models import User

    raw = ""
    if credentials:
        raw = str(credentials.get("username") or credentials.get("email") or credentials.get("login") or "")
    if not raw and request is not None:
        raw = str(getattr(request, "POST", {}).get("login", "") or "")
    raw = raw.strip().lower()
    if "@" in raw:
        username = User.objects.filter(email__iexact=raw).values_list("username", flat=True).first()
        if username:
            return username.lower()
    return raw


def lockout_client_ip(request: HttpRequest) -> str:
    """The client address axes counts failures against.

    Behind our reverse proxy every request comes from the proxy, so the client
    is the last address in X-Forwarded-For: the one the proxy appended itself.
    Addresses further left were sent by the client and could be forged.
    """
    from django.conf import settings

    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return str(request.META.get("REMOTE_ADDR", ""))
