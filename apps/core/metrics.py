"""Counters any part of the site may bump, exposed by apps/monitoring at /metrics/.

They live here, on the ground floor, so that apps/core itself (the Redis cache
backend) and every domain app can count without importing the monitoring app.
prometheus-client keeps them per process, or in PROMETHEUS_MULTIPROC_DIR when
gunicorn's workers share one view of them (config/gunicorn.py).
"""

from __future__ import annotations

import logging
from typing import Literal

from prometheus_client import Counter

log = logging.getLogger(__name__)

CacheOutcome = Literal["hit", "miss", "error"]

CACHE_EVENTS = Counter(
    "lm_cache_events",
    "Cache lookups by cache and outcome: hit, miss, or error (the cache failed and the site served without it).",
    ["cache", "outcome"],
)


def count_cache(cache: str, outcome: CacheOutcome, n: int = 1) -> None:
    """Count ``n`` lookups of ``cache`` ("redis", "page" ...) with ``outcome``; never raises.

    Counting must not fail a request: with the multiprocess folder on a full
    disk, prometheus-client cannot grow its file, and the count is dropped.
    """
    if n <= 0:
        return
    try:
        CACHE_EVENTS.labels(cache=cache, outcome=outcome).inc(n)
    except (OSError, ValueError):
        log.debug("could not count a cache event", exc_info=True)
