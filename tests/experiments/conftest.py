"""Real Celery workers for the run tests.

A worker is a subprocess (``celery -A config worker``) in its own session, so
that a test can SIGKILL its whole process tree the way a dying machine would.
It reads the test database through DJANGO_SQLITE_PATH (SQLite) or
DATABASE_URL (PostgreSQL), and gets the test-only experiments.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2


def database_env() -> dict[str, str]:
    """Environment that points a subprocess's settings at the test database."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return {"DJANGO_SQLITE_PATH": str(db["NAME"]), "DATABASE_URL": ""}
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return {"DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"}


def broker_env(broker_url: str, broker_dir: Path) -> dict[str, str]:
    return {"CELERY_BROKER_URL": broker_url, "CELERY_BROKER_DIR": str(broker_dir)}


def worker_argv(name: str) -> list[str]:
    """A worker node as production runs it: both queues, one pool process, named ``name``."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        "experiments,default",
        "-c",
        "1",
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]


class Worker:
    def __init__(self, env: dict[str, str], name: str, log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            worker_argv(name),
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.handle.close()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, worker: Worker | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    extra = f"\nworker log:\n{worker.output()}" if worker else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{extra}")


@pytest.fixture
def use_broker(settings) -> Iterator[Callable[[str, Path], dict[str, str]]]:
    """Point this process's Celery producer at a broker; returns the env for workers."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport)

    def use(broker_url: str, broker_dir: Path) -> dict[str, str]:
        if broker_url.startswith("filesystem://"):
            options: dict[str, Any] = {
                "data_folder_in": str(broker_dir / "queue"),
                "data_folder_out": str(broker_dir / "queue"),
                "processed_folder": str(broker_dir / "processed"),
                "control_folder": str(broker_dir / "control"),
                "store_processed": False,
            }
        else:
            options = {"visibility_timeout": 3600}
        app.conf.broker_url = broker_url
        app.conf.broker_transport_options = options
        # The embedded broker's hardened transport for filesystem://, the URL's own otherwise (as settings do).
        app.conf.broker_transport = (
            "config.embedded_broker:Transport" if broker_url.startswith("filesystem://") else None
        )
        app._after_fork()  # forget pooled connections to the previous broker
        return broker_env(broker_url, broker_dir)

    yield use
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport = saved
    app._after_fork()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers with ``workers(broker_env, name)``; every one is stopped afterwards."""
    started: list[Worker] = []

    def start(env_extra: dict[str, str], name: str = "w1") -> Worker:
        env = {
            **os.environ,
            **database_env(),
            **env_extra,
            "COMPUTE_TEST_EXPERIMENTS": "1",
            "RUNS_LEASE_SECONDS": str(LEASE_SECONDS),
            "RUNS_REAP_INTERVAL_SECONDS": "1",
            "COMPUTE_THREADS": "1",
        }
        worker = Worker(env, name, tmp_path / f"{name}-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def test_experiments(monkeypatch) -> Iterator[None]:
    """Make the test-only experiments visible to this process too."""
    from compute import registry

    monkeypatch.setenv("COMPUTE_TEST_EXPERIMENTS", "1")
    registry.all_experiments.cache_clear()
    yield
    monkeypatch.delenv("COMPUTE_TEST_EXPERIMENTS")
    registry.all_experiments.cache_clear()
