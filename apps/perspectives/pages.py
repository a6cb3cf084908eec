"""Conditional GET for the reading pages: an article (or one of its versions) and an open question.

Only anonymous readers get validators. A signed-in member's page carries their
name, their unread count and their follow buttons, so it is rendered for every
request and sent without ETag or Last-Modified: it can never be answered with
a 304 that another reader's validator earned. Every reading page says
`Vary: Cookie`, so caches keep signed-in and anonymous copies apart.

The validators come from the rows a page is made of (PageState, built by each
app's selectors), never from rendering the page.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.module_loading import import_string


@dataclasses.dataclass(frozen=True)
class PageState:
    """What an anonymous reader's copy of a page depends on, as cheap values, and when it last changed."""

    parts: tuple[object, ...]
    last_modified: datetime.datetime

    @property
    def etag(self) -> str:
        # Weak: two renderings with the same parts are equivalent, not byte-identical ("active 3 hours ago").
        return 'W/"' + hashlib.sha256(repr(self.parts).encode()).hexdigest()[:32] + '"'

    @property
    def timestamp(self) -> int:
        return int(self.last_modified.timestamp())


def for_everyone(request: HttpRequest) -> bool:
    """Whether the reader sees what every anonymous reader sees: not signed in, and no message waiting to be shown."""
    return not request.user.is_authenticated and not get_messages(request)


def discussion_state(obj: models.Model) -> tuple[str, datetime.datetime | None]:
    """settings.DISCUSSION_STATE for obj: a token that changes with the threads its page lists, and their last activity.

    The forum fills the page's discussion block through a template tag; a dotted path in the settings
    lets these validators ask it too without this app importing the forum (which imports this app).
    """
    path = getattr(settings, "DISCUSSION_STATE", "")
    if not path:
        return "", None
    state: Callable[[models.Model], tuple[str, datetime.datetime | None]] = import_string(path)
    return state(obj)


def conditional_page(
    request: HttpRequest, state: PageState | None, render_page: Callable[[], HttpResponse]
) -> HttpResponseBase:
    """The rendered page, or an empty 304 when the reader's If-None-Match or If-Modified-Since still holds.

    With a state, the page carries its ETag and Last-Modified and `Cache-Control: no-cache`: a browser
    may keep it but asks again each time (without it, a Last-Modified months old would let a browser
    reuse the page for days without asking).
    """
    if state is None:
        response: HttpResponseBase = render_page()
    else:
        response = get_conditional_response(request, etag=state.etag, last_modified=state.timestamp) or render_page()
        if response.status_code in (200, 304):
            response.headers["ETag"] = state.etag
            response.headers["Last-Modified"] = http_date(state.timestamp)
            patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ("Cookie",))
    return response
