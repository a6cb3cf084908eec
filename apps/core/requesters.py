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

# Queue priorities (the broker takes the lowest number first): what a person is
# waiting for goes ahead of the site's own work.
PERSON_PRIORITY = 0
CONTENT_PRIORITY = 3
BACKGROUND_PRIORITY = 6


@dataclass(frozen=True)
class SystemRequest:
    """Work the site asks for itself; ``reason`` says why (it is recorded on the run and shown as the requester).

    ``priority`` places its runs in the queue behind what people wait for
    (PERSON_PRIORITY): figures of content being loaded or published before
    background work such as precomputing or re-checking.
    """

    reason: str
    priority: int = BACKGROUND_PRIORITY
    # Its runs draw published figures, which the site re-checks (apps.experiments.reproducibility).
    publishes: bool = False

    def __str__(self) -> str:
        return f"the site ({self.reason})"


LOADSITE = SystemRequest("loading site/", CONTENT_PRIORITY, publishes=True)
PUBLICATION = SystemRequest("publishing a version", CONTENT_PRIORITY, publishes=True)
PRECOMPUTE = SystemRequest("precomputing smoke presets", BACKGROUND_PRIORITY)
RECHECK = SystemRequest("re-checking a published figure", BACKGROUND_PRIORITY)

# A person (possibly anonymous, who may then be refused) or the site itself.
Requester = AbstractBaseUser | AnonymousUser | SystemRequest
