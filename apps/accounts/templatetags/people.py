"""Showing people in templates: ``{% load people %}{{ post.author|person }}``.

``person`` is for page text (the username in a quieter span); ``person_text``
for titles, attributes and plain-text emails. Both come from apps.accounts.people,
so the rule (the username always beside the display name) lives in one place.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from apps.accounts.models import User
from apps.accounts.people import person_html, person_label

register = template.Library()


@register.filter(name="person")
def person(user: User | None) -> SafeString:
    return person_html(user if isinstance(user, User) else None)


@register.filter(name="person_text")
def person_text(user: User | None) -> str:
    return person_label(user if isinstance(user, User) else None)
