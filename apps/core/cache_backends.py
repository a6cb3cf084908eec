"""Django's Redis cache that fails open: while Redis is down or hung, the site keeps serving.

Everything the site keeps in its cache can be recomputed (rendered pages,
figure items) or is a limit that may lapse for a while (API throttles,
posting rates), so a cache outage must not become an error for every reader.
Every operation here is bounded by the socket timeouts set in
config/settings.py; when Redis fails, reads miss, writes are dropped, counters
start afresh, and a warning is logged (at most once every LOG_EVERY_S per
process, so an outage does not flood the log). Lookups are counted as hits,
misses and errors for /metrics/ (apps/core/metrics.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from apps.core.metrics import count_cache

log = logging.getLogger(__name__)

LOG_EVERY_S = 30.0
T = TypeVar("T")
_MISSING = object()
_FAILED = object()


class FailOpenRedisCache(RedisCache):
    """RedisCache whose failures read as misses (and counters as missing), with a logged warning."""

    _last_warning = 0.0

    @property
    def metrics_name(self) -> str:
        """The label its lookups are counted under at /metrics/: "redis", or "redis:pages" for the pages cache."""
        return f"redis:{self.key_prefix}" if self.key_prefix else "redis"

    def _safely(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except (RedisError, OSError) as exc:
            count_cache(self.metrics_name, "error")
            now = time.monotonic()
            if now - FailOpenRedisCache._last_warning >= LOG_EVERY_S:
                FailOpenRedisCache._last_warning = now
                log.warning("the Redis cache failed (%s: %s); serving without it", operation, exc)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        value = self._safely("get", lambda: super(FailOpenRedisCache, self).get(key, _MISSING, version), _FAILED)
        if value is _FAILED:
            return default
        count_cache(self.metrics_name, "miss" if value is _MISSING else "hit")
        return default if value is _MISSING else value

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        found = self._safely("get_many", lambda: super(FailOpenRedisCache, self).get_many(keys, version), None)
        if found is None:
            return {}
        count_cache(self.metrics_name, "hit", len(found))
        count_cache(self.metrics_name, "miss", len(keys) - len(found))
        return found

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._safely("has_key", lambda: super(FailOpenRedisCache, self).has_key(key, version), False)

    def set(self, key: Any, value: Any, timeout: Any = 300, version: int | None = None) -> None:
        self._safely("set", lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key: Any, value: Any, timeout: Any = 300, version: int | None = None) -> bool:
        return self._safely("add", lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version), False)

    def set_many(self, data: dict[Any, Any], timeout: Any = 300, version: int | None = None) -> list[Any]:
        keys = list(data)
        return self._safely("set_many", lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version), keys)

    def touch(self, key: Any, timeout: Any = 300, version: int | None = None) -> bool:
        return self._safely("touch", lambda: super(FailOpenRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._safely("delete", lambda: super(FailOpenRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._safely("delete_many", lambda: super(FailOpenRedisCache, self).delete_many(keys, version), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # As for a key that is not there: callers start the count afresh.
        value: int | None = self._safely(
            "incr", lambda: super(FailOpenRedisCache, self).incr(key, delta, version), None
        )
        if value is None:
            raise ValueError(f"Key {key!r} not found (the Redis cache is unavailable)")
        return value

    def clear(self) -> None:
        self._safely("clear", lambda: super(FailOpenRedisCache, self).clear(), None)
