"""Helpers shared by the benchmarks: a throw-away production-like site, a server, a load generator.

Benchmarks measure and print; they never assert a time. Everything binds to
loopback only and cleans up after itself.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a DEBUG-off site whose state all lives under var_dir (plain HTTP on loopback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
            # Loopback has no TLS: keep the production code paths, minus the HTTPS redirect.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "VAR_DIR": str(var_dir),
            "STATIC_ROOT": str(var_dir / "staticfiles"),
            "MEDIA_ROOT": str(var_dir / "media"),
            "CELERY_BROKER_DIR": str(var_dir / "broker"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def manage(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a manage.py command against the benchmark site."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@contextlib.contextmanager
def temporary_site(prefix: str = "lm-bench-") -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh SQLite site in a temporary VAR_DIR: migrated, content loaded, static files collected."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        var_dir = Path(tmp)
        env = production_env(var_dir)
        manage(env, "migrate", "--noinput")
        loaded = manage(env, "loadsite", check=False)
        if loaded.returncode != 0:
            print("loadsite failed; the content pages will be empty:\n" + loaded.stderr[-2000:], file=sys.stderr)
        manage(env, "collectstatic", "--noinput")
        yield var_dir, env


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, startup_timeout: float = 60) -> Iterator[str]:
    """Serve config.wsgi with gunicorn (sync workers) on a free loopback port; yields the base URL."""
    port = free_port()
    log = open(Path(env["VAR_DIR"]) / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"{HOST}:{port}",
            "--workers", str(workers),
            "--worker-class", "sync",
            "--timeout", "60",
            "--log-level", "warning",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log.name}")
            try:
                status, _ = fetch(HOST, port, "/healthz/")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz/ in time")
            time.sleep(0.2)
        yield f"http://{HOST}:{port}"
    finally:
        # The server runs in its own session: stop the master and its workers together.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def fetch(
    host: str, port: int, path: str, timeout: float = 30, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class LoadResult:
    """Latencies (seconds) of the successful requests, plus error counts and elapsed wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[index] * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


def load(
    host: str,
    port: int,
    path: str,
    *,
    requests: int,
    concurrency: int,
    time_limit: float,
    warmup: int = 5,
    on_response: Callable[[int, bytes], None] | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """GET path `requests` times from `concurrency` threads, a new connection each, stopping at time_limit."""
    for _ in range(warmup):
        fetch(host, port, path, headers=headers)
    result = LoadResult()
    lock = threading.Lock()
    remaining = [requests]
    stop_at = time.monotonic() + time_limit

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] <= 0 or time.monotonic() > stop_at:
                    return
                remaining[0] -= 1
            start = time.perf_counter()
            try:
                status, body = fetch(host, port, path, headers=headers)
            except OSError:
                with lock:
                    result.errors += 1
                continue
            took = time.perf_counter() - start
            if on_response is not None:
                on_response(status, body)
            with lock:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 200:
                    result.latencies.append(took)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit + 60)
    result.elapsed = time.perf_counter() - began
    return result
