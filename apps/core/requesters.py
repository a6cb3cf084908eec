"""Who asked for work that costs compute: a person, or the site itself.

Every figure block and every run request names its requester. A person is
charged (quota, trust); a ``SystemRequest`` says explicitly that the site asked
(loading ``site/``, publishing a version, precomputing), so it is never
charged to anyone. Rendering with no requester at all is a preview: it shows
what exists and requests nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True)
class SystemRequest:
    """Work the site asks for itself; ``reason`` says why (it is logged and shown as the requester)."""

    reason: str

    def __str__(self) -> str:
        return f"the site ({self.reason})"


LOADSITE = SystemRequest("loading site/")
PUBLICATION = SystemRequest("publishing a version")
PRECOMPUTE = SystemRequest("precomputing smoke presets")

# A person (possibly anonymous, who may then be refused) or the site itself.
Requester = AbstractBaseUser | AnonymousUser | SystemRequest
