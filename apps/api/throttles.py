"""Throttles: every answer over the limit is a 429 with Retry-After (DRF sets the header).

Counters live in the default cache, so with REDIS_CACHE_URL set they hold
across every web process; with the local-memory cache each process counts alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

SAFE = ("GET", "HEAD", "OPTIONS")


class _ScopedThrottle(SimpleRateThrottle):
    """A rate from settings.API_THROTTLE_RATES, looked up per request so that a changed setting takes effect."""

    scope = ""

    def __init__(self) -> None:  # SimpleRateThrottle reads the rate in __init__; we do it in allow_request
        pass

    def applies(self, request: Any, view: Any) -> bool:
        return True

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user
        ident = f"u{user.pk}" if user and user.is_authenticated else f"a{self.get_ident(request)}"
        return f"api-throttle:{self.scope}:{ident}"

    def allow_request(self, request: Any, view: Any) -> bool:
        if not self.applies(request, view):
            return True
        self.rate = settings.API_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ReadThrottle(_ScopedThrottle):
    """Reads: one bucket for anonymous callers (by address), another for signed-in members (by account)."""

    def applies(self, request: Any, view: Any) -> bool:
        if request.method not in SAFE:
            return False
        self.scope = "user" if request.user and request.user.is_authenticated else "anon"
        return True


class WriteThrottle(_ScopedThrottle):
    """Every POST, PATCH, PUT or DELETE."""

    scope = "write"

    def applies(self, request: Any, view: Any) -> bool:
        return request.method not in SAFE


class RunRequestThrottle(_ScopedThrottle):
    """Run requests and reproductions, which take worker time; views opt in with `throttle_scope = "runs"`."""

    scope = "runs"

    def applies(self, request: Any, view: Any) -> bool:
        return request.method not in SAFE and getattr(view, "throttle_scope", None) == "runs"
