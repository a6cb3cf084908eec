"""A Redis cache that is down or hung slows nothing and breaks nothing: reads miss, writes are dropped."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from apps.core.cache_backends import FailOpenRedisCache


def _cache(location: str, timeout: float = 0.3) -> FailOpenRedisCache:
    return FailOpenRedisCache(location, {"OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout}})


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the probe is closed


@pytest.fixture
def hung_redis() -> Iterator[int]:
    """A server that accepts connections and never answers, like a Redis stuck on a full disk or a long command."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    server.close()


def _every_operation_fails_open(cache: FailOpenRedisCache) -> None:
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("counter")  # as for a missing key: callers start the count afresh


def test_a_redis_that_is_down_reads_as_a_miss(closed_port: int) -> None:
    _every_operation_fails_open(_cache(f"redis://127.0.0.1:{closed_port}/0"))


def test_a_hung_redis_gives_up_and_reads_as_a_miss(hung_redis: int) -> None:
    cache = _cache(f"redis://127.0.0.1:{hung_redis}/0", timeout=0.3)
    answers: list[object] = []
    reader = threading.Thread(target=lambda: answers.append(cache.get("k", "fallback")), daemon=True)
    reader.start()
    # Without socket timeouts this read would wait for ever; the join only detects that hang.
    reader.join(timeout=60)
    assert answers == ["fallback"]


def test_a_live_redis_still_works(redis_url: str) -> None:
    cache = _cache(redis_url)
    cache.set("lm-test-key", 41)
    assert cache.incr("lm-test-key") == 42
    cache.delete("lm-test-key")
