"""Validators for profile fields: the ORCID iD checksum and the list of links."""

from __future__ import annotations

import re
from typing import Any

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
