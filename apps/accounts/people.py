"""How the site shows a person: the display name, if any, always beside the username.

A display name is free text a member chooses; the username is the one handle
nobody else can hold (apps.accounts.validators keeps it unambiguous). Showing
both everywhere means a name alone never has to be trusted. Templates use the
``person`` and ``person_text`` filters (apps/accounts/templatetags/people.py);
feeds and emails use ``person_label``.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.accounts.models import User
from apps.core.validators import single_line


def person_label(user: User | None) -> str:
    """ "Display Name (@username)", or "@username" for a member without a display name; "" for nobody."""
    if user is None:
        return ""
    # single_line: a display name stored before names were checked may still hold a line break.
    name = single_line(user.display_name)
    return f"{name} (@{user.username})" if name else f"@{user.username}"


def person_html(user: User | None) -> SafeString:
    """The same, escaped, with the username in a span that pages set in a quieter style."""
    if user is None:
        return SafeString("")
    name = single_line(user.display_name)
    if not name:
        return format_html("@{}", user.username)
    return format_html('{} <span class="handle">(@{})</span>', name, user.username)
