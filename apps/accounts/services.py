"""Writes to accounts: profile edits and API tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.accounts.validators import validate_display_name
from apps.core import pagecache


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    display_name: str,
    affiliation: str,
    orcid: str,
    bio: str,
    links: list[str],
) -> User:
    """Replace a member's public profile fields; validates everything first and saves nothing on error.

    A new display name must not read as a reserved name or as another member's
    name (apps.accounts.validators); one the member already had is kept as it is.
    """
    changed_name = display_name != User.objects.values_list("display_name", flat=True).get(pk=user.pk)
    user.display_name = display_name
    user.affiliation = affiliation
    user.orcid = orcid
    user.bio = bio
    user.links = list(links)
    user.full_clean(exclude=["password"])
    if changed_name:
        try:
            validate_display_name(display_name, user_pk=user.pk)
        except ValidationError as exc:
            raise ValidationError({"display_name": exc.error_list}) from None
    user.save(update_fields=["display_name", "affiliation", "orcid", "bio", "links"])
    if changed_name:
        # Bylines, posts and thread lists name members everywhere: a rare change, so every page.
        pagecache.invalidate(pagecache.EVERYTHING)
    return user


@transaction.atomic
def token_create(*, user: User) -> Token:
    """Issue a new API token for the member, replacing (and so revoking) any previous one."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def token_revoke(*, user: User) -> bool:
    """Delete the member's API token; returns whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0
