from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from apps.accounts.validators import validate_links, validate_orcid
from apps.core.validators import validate_single_line


class User(AbstractUser):
    """A member of the site. The public profile lives on the user row itself."""

    display_name = models.CharField(
        max_length=120,
        blank=True,
        validators=[validate_single_line],
        help_text="Name shown on articles and posts, always beside your username.",
    )
    affiliation = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text="University, lab or company, if any.",
    )
    orcid = models.CharField(
        "ORCID iD",
        max_length=19,
        blank=True,
        validators=[validate_orcid],
        help_text="Like 0000-0002-1825-0097; checked by its checksum.",
    )
    bio = models.TextField(blank=True, help_text="Markdown, shown on your profile.")
    links = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_links],
        help_text="Up to five http(s) URLs shown on your profile.",
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        # As apps.accounts.people shows a person: the username always beside the display name.
        return f"{self.display_name} (@{self.username})" if self.display_name else f"@{self.username}"

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""
