"""API limits, read from the environment once at import (see docs/api.md).

Rates are DRF rate strings, "<count>/<second|minute|hour|day>"; a malformed
one stops the process at start-up with the variable's name.
"""

from __future__ import annotations

from config.env import ImproperlyConfiguredEnv, env_str

_PERIODS = ("s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day")


def _rate(name: str, default: str) -> str | None:
    raw = env_str(name, default).strip()
    if raw.lower() in ("", "none", "off"):
        return None  # no limit
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in _PERIODS:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a rate such as '60/minute'")
    return raw


# Scope -> rate. Reads are generous (lists are cached and cheap); writes and run
# requests are the scarce resources, so they have their own, tighter buckets.
RATES: dict[str, str | None] = {
    "anon": _rate("API_THROTTLE_ANON", "1000/minute"),
    "user": _rate("API_THROTTLE_USER", "2000/minute"),
    "write": _rate("API_THROTTLE_WRITE", "60/minute"),
    "runs": _rate("API_THROTTLE_RUNS", "20/minute"),
}
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
