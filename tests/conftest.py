"""Shared fixtures: named personas, as in healthchecks' tests.

alice is an author, bob a regular member, charlie a brand-new member with no
special rights, mallory a member acting on other people's objects, mod a forum
moderator, ed an editor, staff a staff account (no superuser flag) and admin
a superuser.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group

PASSWORD = "correct-horse-battery-staple"


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


@pytest.fixture
def redis_url() -> str:
    require_server("Redis", "127.0.0.1", 6379)
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def task_broker(tmp_path):
    """Point Celery at a filesystem broker in a temporary folder; yields the folder where task messages land.

    Each message is a JSON file: ``headers["task"]`` names the task, ``properties["delivery_info"]["routing_key"]``
    is its queue, and the base64 ``body`` decodes to ``[args, kwargs, embed]``.
    """
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
    yield folder / "queue"
    app.conf.broker_url, app.conf.broker_transport_options = previous
    _drop_broker_connections(app)


def _drop_broker_connections(app) -> None:
    # kombu keeps connection pools in a global registry that compares connections
    # by URL, and Celery caches its pools on the app: without dropping them all, a
    # message could go out through a connection made with another test's folder
    # (or a pool an earlier test closed).
    import kombu.pools

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def _fresh_page_cache(settings) -> None:
    # Cached pages (apps/core/pagecache.py) live in memory here and start empty in every test: a
    # page cached by an earlier test must not answer a later one, whose database is different.
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-pages"},
    }
    from django.core.cache import caches

    caches["pages"].clear()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    from apps.accounts.models import User

    def make(
        username: str, *, groups: tuple[str, ...] = (), verified: bool = True, trusted: bool = True, **extra: object
    ) -> User:
        user = User.objects.create_user(username=username, email=f"{username}@example.org", password=PASSWORD, **extra)
        if trusted:
            # Past the new-member limits (forum trust level 1: may request
            # runs, post links); charlie alone stays brand new.
            from apps.forum.models import ForumProfile

            ForumProfile.objects.create(user=user, granted_trust_level=1)
        for name in groups:
            group, _ = Group.objects.get_or_create(name=name)
            user.groups.add(group)
        if verified:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice", groups=("author",), display_name="Alice Author")


@pytest.fixture
def bob(make_user):
    return make_user("bob", display_name="Bob Reader")


@pytest.fixture
def charlie(make_user):
    return make_user("charlie", trusted=False)


@pytest.fixture
def mallory(make_user):
    return make_user("mallory")


@pytest.fixture
def mod(make_user):
    return make_user("mod", groups=("moderator",))


@pytest.fixture
def ed(make_user):
    return make_user("ed", groups=("editor",))


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", is_staff=True, is_superuser=True)
