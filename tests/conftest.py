"""Shared fixtures: named personas, as in healthchecks' tests, and the setup every test gets.

Personas: alice is an author, bob a regular member, charlie a brand-new member
with no special rights (forum trust level 0), mallory a member acting on other
people's objects, mod a forum moderator, ed an editor, staff a staff account
in no group, and admin_user a superuser. Everyone but charlie is past the
new-member limits (trust level 1, granted); tests.factories.established makes
a member established by age and posts instead.

Every test also gets, without asking: the fast password hasher and plain
static files storage (once per session), an empty cache, and a filesystem
broker of its own in a temporary folder (``task_broker``), so that no task
message reaches var/ or a real server.

Sub-folders keep only what is theirs alone: real Celery workers
(tests/experiments), the API's world of objects (tests/api), forum threads
(tests/forum), submissions in each state (tests/submissions).

Parallel runs (pytest-xdist, ``make test``): each worker process has its own
test database (pytest-django adds ``_gw0``, ``_gw1``... to its name), its own
sandbox slot (tests/sandbox), its own live server port, and a broker in each
test's temporary folder. ``--dist loadfile`` (pyproject.toml) keeps the tests
of one file in one worker, one after the other: a module-scoped result (the
smoke runs in tests/compute) is computed once, and the two tests that share
Redis database 1 (tests/experiments/test_workers.py) never run at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import tempfile
from base64 import b64decode
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, RunFactory, UserFactory

__all__ = ["PASSWORD", "require_server"]

SCREENSHOTS = Path(__file__).parent / "browser" / "screenshots"
INIT_SCALES = (0.001, 0.01)


# --- Selecting and ordering ---------------------------------------------------

DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}
TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-only",
        action="store_true",
        help="run only the tests that use the database (the PostgreSQL pass of make test)",
    )


def database_use(item: pytest.Item) -> int:
    """0: the test never touches the database; 1: it does, in a transaction rolled back after it;
    2: it commits (a transactional test), and the database is emptied after it."""
    fixtures = set(getattr(item, "fixturenames", ()))
    marker = item.get_closest_marker("django_db")
    options = marker.kwargs | dict(zip(("transaction", "reset_sequences"), marker.args, strict=False)) if marker else {}
    if TRANSACTIONAL_FIXTURES & fixtures or options.get("transaction") or options.get("reset_sequences"):
        return 2
    return 1 if marker is not None or DATABASE_FIXTURES & fixtures else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test a node id of its own, deselect under --database-only, and order the files.

    Emptying the database after a transactional test also deletes what data
    migrations wrote (the site's name, accounts 0004), so Django's runner puts
    those tests last; pytest-django sorts the tests the same way. pytest-xdist
    (``--dist loadfile``) hands out whole files, so this puts the files in that
    order: no database, database, transactional tests; the larger files first
    within each, so that the two workers finish together.
    """
    for item in items:
        _restore_parameters_in_node_id(item)
    twice = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if twice:
        # pytest-xdist would run one of each without a word.
        raise pytest.UsageError("tests share a node id: " + ", ".join(twice[:5]))
    if config.getoption("database_only"):
        keep = [item for item in items if database_use(item)]
        config.hook.pytest_deselected(items=[item for item in items if not database_use(item)])
        items[:] = keep
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    order = sorted(files.values(), key=lambda tests: (max(map(database_use, tests)), -len(tests)))
    items[:] = [item for tests in order for item in tests]


def _restore_parameters_in_node_id(item: pytest.Item) -> None:
    # Schemathesis (4.32) names its test per API operation "test_x[GET /api/v1/...]" but
    # builds the item as pytest 9.1 did; pytest 9.2 takes the node id from the bare name,
    # so all of tests/api/test_schema_fuzz.py share two ids, and pytest-xdist, which tells
    # tests apart by id, would run one test for each. Put the operation back into the id.
    original = getattr(item, "originalname", item.name)
    params = item.name[len(original) + 1 : -1] if item.name.startswith(original + "[") else None
    node_id = getattr(item, "_id", None)  # pytest's structured node id: only private access can mend it
    if params and node_id is not None and node_id.params is None:
        item._id = node_id.with_params(params)


# --- Servers ------------------------------------------------------------------


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or fail, under CI) a test whose real server cannot be reached."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI must provide it)")
    pytest.skip(message)


@contextmanager
def _machine_lock(name: str) -> Iterator[None]:
    path = Path(tempfile.gettempdir()) / f"learningmechanics-tests-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock, also when the process dies


@pytest.fixture
def machine_lock() -> Callable[[str], AbstractContextManager[None]]:
    """``with machine_lock(name):`` one test at a time on this machine, in any test run.

    For what test runs in several checkouts share: the Redis server, the sandbox users.
    """
    return _machine_lock


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis, held by this test alone: the tests that use it empty its databases and start
    workers that take any message they find, and other test runs may share the server."""
    require_server("Redis", "127.0.0.1", 6379)
    with _machine_lock("redis"):
        yield os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# --- Setup every test gets ----------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _test_settings() -> Iterator[None]:
    from django.test.utils import override_settings

    from config import settings

    overrides = override_settings(
        # Personas are made for almost every test; the real hasher (PBKDF2 at full strength)
        # would dominate the run time. No test checks the hash itself.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Tests render templates without running collectstatic first.
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
    overrides.enable()
    yield
    overrides.disable()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    # Stored files (run exports) are named by run ids, which repeat across tests: each test writes its own.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Rate-limit counters, throttles and cached figures live in the cache, keyed by
    # ids that repeat across tests: each test starts with none.
    from django.core.cache import cache

    cache.clear()


class BrokerQueue(type(Path())):  # type: ignore[misc]
    """The folder where a test's task messages land, one JSON file each (config/embedded_broker.py).

    ``headers["task"]`` names the task, ``properties["delivery_info"]["routing_key"]``
    is its queue, and the base64 ``body`` decodes to ``[args, kwargs, embed]``.
    """

    def messages(self) -> list[dict[str, Any]]:
        """Every message waiting, in the order a worker takes them (file names sort by priority, then time)."""
        return [json.loads(path.read_text()) for path in sorted(self.glob("*.msg"))] if self.exists() else []

    def run_ids(self) -> list[int]:
        """Ids of the runs sent to the workers (execute_run messages), in that order."""
        return [
            int(json.loads(b64decode(message["body"]))[0][0])
            for message in self.messages()
            if message["headers"]["task"] == "apps.experiments.tasks.execute_run"
        ]


@pytest.fixture(autouse=True)
def task_broker(tmp_path: Path) -> Iterator[BrokerQueue]:
    """Send every test's task messages to a filesystem broker in its temporary folder; yields the queue folder."""
    from config.celery import app

    folder = tmp_path / "broker"
    previous = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    _drop_broker_connections(app)
    yield BrokerQueue(folder / "queue")
    app.conf.broker_url, app.conf.broker_transport_options = previous
    _drop_broker_connections(app)


def _drop_broker_connections(app: Any) -> None:
    # kombu keeps connection pools in a global registry that compares connections
    # by URL, and Celery caches its pools on the app: without dropping them all, a
    # message could go out through a connection made with another test's folder
    # (or a pool an earlier test closed).
    import kombu.pools

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


# --- Personas -----------------------------------------------------------------


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """``make_user(username, groups=(), verified=True, trusted=True, **fields)``: a member (see UserFactory)."""

    def make(
        username: str, *, groups: tuple[str, ...] = (), verified: bool = True, trusted: bool = True, **extra: Any
    ) -> Any:
        return UserFactory(username=username, groups=groups, verified=verified, trusted=trusted, **extra)

    return make


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice", groups=("author",), display_name="Alice Author")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob", display_name="Bob Reader")


@pytest.fixture
def charlie(make_user: Callable[..., Any]) -> Any:
    return make_user("charlie", trusted=False)


@pytest.fixture
def mallory(make_user: Callable[..., Any]) -> Any:
    return make_user("mallory")


@pytest.fixture
def mod(make_user: Callable[..., Any]) -> Any:
    return make_user("mod", groups=("moderator",))


@pytest.fixture
def ed(make_user: Callable[..., Any]) -> Any:
    return make_user("ed", groups=("editor",))


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Any:
    return make_user("staff", is_staff=True)


@pytest.fixture
def admin_user(make_user: Callable[..., Any]) -> Any:
    return make_user("admin", is_staff=True, is_superuser=True)


# --- Runs ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def deep_linear_outcomes() -> dict[float, Any]:
    """deep_linear's smoke preset at two initial scales, computed for real with compute.runner.execute."""
    from compute import registry
    from compute.runner import execute

    spec = registry.get("deep_linear")
    return {s: execute(spec, spec.validate({"init_scale": s}, preset="smoke")) for s in INIT_SCALES}


@pytest.fixture
def finished_run(db: None, deep_linear_outcomes: dict[float, Any]) -> Callable[..., Any]:
    """``finished_run(init_scale)``: a succeeded deep_linear run with its real result, for one of INIT_SCALES."""
    from django.utils import timezone

    from apps.experiments.models import RunResult, RunStatus

    def make(init_scale: float = INIT_SCALES[0]) -> Any:
        outcome = deep_linear_outcomes[init_scale]
        run = RunFactory(
            params={"init_scale": init_scale},
            status=RunStatus.SUCCEEDED,
            progress=1.0,
            message="done",
            digest=outcome.digest,
            provenance=outcome.provenance,
            finished_at=timezone.now(),
            attempts=1,
        )
        RunResult.objects.create(run=run, data=outcome.result)
        return run

    return make


@pytest.fixture
def make_run(db: None) -> Callable[..., Any]:
    """``make_run(params, status, **fields)``: a deep_linear run row in any state, without a result."""

    def make(params: dict[str, Any], status: str, **fields: Any) -> Any:
        return RunFactory(params=params, status=status, **fields)

    return make


# --- Browser ------------------------------------------------------------------


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium with a profile of its own; skips where it is missing, fails under CI=true."""
    from tests.browser.chrome import missing, start_chromium

    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must provide it)")
        pytest.skip(reason)
    driver = start_chromium(str(tmp_path / "profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
