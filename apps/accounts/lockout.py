"""How django-axes names the account behind a login attempt.

allauth passes the login as ``username=`` or ``email=`` depending on what was
typed, so without this hook axes would see no username at all, and an attacker
could double their guesses by alternating between a member's username and
email address. Both spellings map to one lowercase key here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core.clients import client_address


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The key axes counts failures against: the member's username if the login names one."""
    from allauth.account.models import EmailAddress

    from apps.accounts.models import User

    raw = ""
    if credentials:
        raw = str(credentials.get("username") or credentials.get("email") or credentials.get("login") or "")
    if not raw and request is not None:
        raw = str(getattr(request, "POST", {}).get("login", "") or "")
    raw = raw.strip().lower()
    if "@" in raw:
        # Any address of the account (allauth keeps extra ones apart from User.email) counts as the account:
        # otherwise each extra address would bring its own allowance of guesses.
        username = (
            User.objects.filter(email__iexact=raw).values_list("username", flat=True).first()
            or EmailAddress.objects.filter(email__iexact=raw).values_list("user__username", flat=True).first()
        )
        if username:
            return username.lower()
    return raw


def lockout_client_ip(request: HttpRequest) -> str:
    """The client address axes counts failures against (apps.core.clients decides, behind a proxy too)."""
    return client_address(request)
