"""Role checks for templates: ``{% load roles %}{% if user|has_role:"editor" %}...{% endif %}``.

Pages show a link or a badge by the same function the view uses to allow the
action behind it (apps.accounts.roles), so the two cannot disagree.
"""

from __future__ import annotations

from django import template

from apps.accounts import roles

register = template.Library()


@register.filter(name="has_role")
def has_role(user: roles.Person, role: str) -> bool:
    return roles.has_role(user, role)
