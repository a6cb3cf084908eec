"""Fixtures of the fault-injection suite: its own PostgreSQL and Redis, and one stack per broker.

The suite runs only when asked for (``pytest -m faults``, ``make test-faults``):
it takes minutes and starts a dozen processes. When a server it needs cannot
be started it skips with the reason, and fails under CI.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.servers import Postgres, Redis, SmallDisk, Unavailable, manage
from tests.faults.stack import Stack, Traffic

HERE = Path(__file__).resolve().parent
# What the suite measured, printed at the end of the run (recovery times, outages, answers).
REPORT: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the suite out of every run that did not select it with ``-m faults``."""
    if "faults" in (config.option.markexpr or ""):
        return
    mine = [item for item in items if HERE in Path(str(item.fspath)).parents]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("fault injection: what was measured")
        for line in REPORT:
            terminalreporter.write_line(line)


def report(line: str) -> None:
    REPORT.append(line)


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the fault-injection suite cannot start its servers: {reason} (CI must provide them)")
    pytest.skip(f"the fault-injection suite cannot start its servers: {reason}")


@pytest.fixture(scope="session")
def faults_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: its folders are private to root, and PostgreSQL runs as its own account.
    folder = Path(tempfile.mkdtemp(prefix="lm-faults-"))
    folder.chmod(0o755)
    yield folder
    if not os.environ.get("FAULTS_KEEP"):  # FAULTS_KEEP=1 keeps the logs and the ledgers to read
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(faults_dir: Path) -> Iterator[Postgres]:
    try:
        server = Postgres(faults_dir / "postgres")
        server.start()
    except Unavailable as exc:
        unavailable(str(exc))
    yield server
    server.stop("immediate")


@pytest.fixture(scope="session")
def redis_server(faults_dir: Path) -> Iterator[Redis]:
    try:
        server = Redis(faults_dir / "redis")
        server.start()
    except Unavailable as exc:
        unavailable(str(exc))
    yield server
    server.stop()


def base_env(var_dir: Path) -> dict[str, str]:
    """The environment of a production-like deployment (DEBUG off), sized for the tests."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "CELERY_", "PROMETHEUS_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "faults-" + "k" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "VAR_DIR": str(var_dir),
            "REDIS_CACHE_URL": "",
            "API_THROTTLE_ANON": "off",
            "API_THROTTLE_USER": "off",
            "API_THROTTLE_WRITE": "off",
            "API_THROTTLE_RUNS": "off",
            "COMPUTE_TEST_EXPERIMENTS": "1",
            "COMPUTE_THREADS": "1",
            # Lost messages are sent again after 20 s instead of 2 minutes, to keep the suite short.
            "RUNS_REQUEUE_QUEUED_AFTER_SECONDS": "20",
            "LOG_LEVEL": "INFO",
        }
    )
    return env


@pytest.fixture(scope="session")
def template_database(postgres: Postgres, faults_dir: Path) -> tuple[str, str]:
    """A migrated database with a staff member and their API token, copied for each stack; (name, token)."""
    postgres.sql("CREATE DATABASE lm_template")
    env = {**base_env(faults_dir / "var-template"), "DATABASE_URL": postgres.url("lm_template")}
    manage(env, "migrate", "--noinput", "-v0")
    token = (
        manage(
            env,
            "shell",
            "-c",
            "from apps.accounts.models import User; from rest_framework.authtoken.models import Token; "
            "u = User.objects.create_user('operator', 'operator@example.org', 'x', is_staff=True); "
            "print(Token.objects.create(user=u).key)",
        )
        .strip()
        .splitlines()[-1]
    )
    return "lm_template", token


def _stack(
    name: str, postgres: Postgres, template: tuple[str, str], folder: Path, broker_url: str, var_dir: Path, **env: str
) -> Stack:
    database = f"lm_{name}"
    postgres.sql(f"CREATE DATABASE {database} TEMPLATE {template[0]}")
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    ledger = folder / "ledger.txt"
    stack_env = {
        **base_env(var_dir),
        "DATABASE_URL": postgres.url(database),
        "CELERY_BROKER_URL": broker_url,
        "COMPUTE_TEST_LEDGER": str(ledger),
        **env,
    }
    return Stack(
        name=name,
        env=stack_env,
        database_url=postgres.url(database),
        token=template[1],
        ledger=ledger,
        logs=folder / "logs",
    )


@pytest.fixture(scope="module")
def redis_stack(
    postgres: Postgres, redis_server: Redis, template_database: tuple[str, str], faults_dir: Path
) -> Iterator[Stack]:
    """The production shape: Redis as the broker (db 0) and the cache (db 1)."""
    folder = faults_dir / "redis-stack"
    stack = _stack(
        "redis",
        postgres,
        template_database,
        folder,
        redis_server.url(0),
        folder / "var",
        REDIS_CACHE_URL=redis_server.url(1),
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def small_disk(faults_dir: Path) -> Iterator[SmallDisk]:
    try:
        disk = SmallDisk(faults_dir / "small-disk", size_mb=16)
    except Unavailable as exc:
        unavailable(str(exc))
    yield disk
    disk.unmount()


@pytest.fixture(scope="module")
def fs_stack(
    postgres: Postgres, template_database: tuple[str, str], faults_dir: Path, small_disk: SmallDisk
) -> Iterator[Stack]:
    """The one-machine shape: the embedded broker in VAR_DIR, here on a small filesystem the tests can fill."""
    folder = faults_dir / "fs-stack"
    stack = _stack("fs", postgres, template_database, folder, "filesystem://", small_disk.path)
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def traffic(redis_stack: Stack, fs_stack: Stack) -> Iterator[dict[str, Traffic]]:
    """Requests that keep coming to both stacks for the whole module."""
    streams = {stack.name: Traffic(stack) for stack in (redis_stack, fs_stack)}
    for stream in streams.values():
        stream.start()
    yield streams
    for stream in streams.values():
        stream.halt.set()
        stream.join(timeout=60)
