"""Validators for profile fields and names: the ORCID iD checksum, the list of links, and
display names and usernames that could pass for the site or for another member."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

MAX_LINKS = 5

_ORCID_FORMAT = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def orcid_check_character(base_digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first fifteen digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def validate_orcid(value: str) -> None:
    """Reject anything that is not a well-formed ORCID iD with a correct check character."""
    if not _ORCID_FORMAT.match(value or ""):
        raise ValidationError(
            "An ORCID iD has the form 0000-0000-0000-000X: four groups of four digits, the last may end in X.",
            code="orcid_format",
        )
    digits = value.replace("-", "")
    if orcid_check_character(digits[:15]) != digits[15]:
        raise ValidationError(
            "This ORCID iD fails its checksum; check for a mistyped digit.",
            code="orcid_checksum",
        )


_url = URLValidator(schemes=["http", "https"])


def validate_links(value: Any) -> None:
    """Accept a list of at most MAX_LINKS http(s) URLs."""
    if not isinstance(value, list):
        raise ValidationError("Links must be a list of URLs.", code="links_type")
    if len(value) > MAX_LINKS:
        raise ValidationError(f"At most {MAX_LINKS} links, please.", code="links_count")
    for item in value:
        if not isinstance(item, str):
            raise ValidationError("Each link must be a URL.", code="links_item")
        try:
            _url(item)
        except ValidationError:
            raise ValidationError(
                "%(link)s is not an http or https URL.", code="links_url", params={"link": item[:200]}
            ) from None


# --- Names that could pass for someone else -------------------------------------------

# Display names and usernames nobody may take: they would pass for the site speaking.
RESERVED_NAMES = ("moderator", "mod", "admin", "administrator", "staff", "editor")

# Zero-width and other invisible joiners and marks: a name with one inside reads as the name without it.
INVISIBLE = "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")

# Usernames stand beside every display name as the one unambiguous handle, so they use only
# characters that look like nothing else (NFKC maps no Cyrillic or Greek letter to a Latin
# one) and that @mentions can name: ASCII letters, digits, and . _ - inside.
USERNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def name_key(value: str) -> str:
    """How a name reads, for comparing names: NFKC, invisible characters removed, case folded,
    and only its letters and digits (so "Al Ice", "a.lice" and "ALICE" read as "alice").

    A name with no letter or digit at all keeps its other characters, without spaces.
    """
    folded = unicodedata.normalize("NFKC", _INVISIBLE_RE.sub("", value or "")).casefold()
    # NFKC can produce characters that case folding changes again (and the reverse).
    folded = unicodedata.normalize("NFKC", folded)
    letters = "".join(ch for ch in folded if ch.isalnum())
    return letters or "".join(folded.split())


def reserved_name_keys() -> set[str]:
    """The keys of the reserved names and of the site's own name (with and without its domain ending)."""
    site = str(settings.SITE_NAME)
    return {name_key(n) for n in (*RESERVED_NAMES, site, site.rsplit(".", 1)[0])} - {""}


def _taken_by_another_member(key: str, *, exclude_pk: int | None) -> bool:
    from apps.accounts.models import User

    # Keys cannot be computed in SQL (NFKC, invisible characters), so every other member's
    # names are read; profile edits and sign-ups are rare and the two columns are short.
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk is not None else User.objects.all()
    for username, display_name in others.values_list("username", "display_name").iterator():
        if name_key(username) == key or (display_name and name_key(display_name) == key):
            return True
    return False


def validate_display_name(value: str, *, user_pk: int | None) -> None:
    """Refuse a display name that reads as a reserved name, the site's name or another member's name.

    ``user_pk`` is the member choosing it: their own username is theirs to show.
    """
    if not value:
        return
    key = name_key(value)
    # Said outright, since the reader of the message cannot see it either.
    hidden = " (it hides an invisible character)" if _INVISIBLE_RE.search(value) else ""
    if key in reserved_name_keys():
        raise ValidationError(
            "“%(name)s”%(hidden)s is reserved: it would read as the site or its staff speaking.",
            code="name_reserved",
            params={"name": value, "hidden": hidden},
        )
    if _taken_by_another_member(key, exclude_pk=user_pk):
        raise ValidationError(
            "“%(name)s”%(hidden)s reads as the name of another member; choose one that is yours.",
            code="name_taken",
            params={"name": value, "hidden": hidden},
        )


def validate_username_shape(value: str) -> None:
    """Usernames: ASCII letters and digits, with . _ - allowed inside."""
    if not USERNAME_RE.match(value or ""):
        raise ValidationError(
            "Use letters a-z, digits and . _ - (not at the start or the end) in a username.",
            code="username_shape",
        )


def validate_username_not_reserved(value: str) -> None:
    if name_key(value) in reserved_name_keys():
        raise ValidationError("This username is reserved.", code="username_reserved")


def validate_username_not_confusable(value: str) -> None:
    if _taken_by_another_member(name_key(value), exclude_pk=None):
        raise ValidationError(
            "This username reads as the name of an existing member; choose another.", code="username_confusable"
        )


# Sign-up (allauth's ACCOUNT_USERNAME_VALIDATORS), in place of the model's UnicodeUsernameValidator.
SIGNUP_USERNAME_VALIDATORS = [
    validate_username_shape,
    validate_username_not_reserved,
    validate_username_not_confusable,
]
