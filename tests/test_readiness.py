"""/readyz/ names what is down, and an unreachable database is a 503 with Retry-After, never a 500.

A database that is down cannot be arranged inside the test process (the test
database must stay up), so those checks run Django in a subprocess whose
DATABASE_URL points at a port nothing listens on.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the probe is closed


@pytest.mark.django_db
def test_readyz_is_200_when_the_database_the_cache_and_the_broker_answer(client, task_broker) -> None:
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_names_the_cache_when_redis_is_down(client, settings, task_broker, closed_port) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache_backends.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    try:
        response = client.get("/readyz/")
    finally:
        caches["default"].close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable: cache"
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"] == "ok"
    assert response["Retry-After"]


@pytest.mark.django_db
def test_readyz_names_the_broker_when_redis_does_not_answer(client, settings, closed_port) -> None:
    from config.celery import app
    from tests.conftest import _drop_broker_connections

    url = f"redis://127.0.0.1:{closed_port}/0"
    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport = url, {}, None
    _drop_broker_connections(app)
    try:
        response = client.get("/readyz/")
    finally:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport = saved
        _drop_broker_connections(app)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable: broker"
    assert response.json()["checks"]["broker"] == "the broker did not answer"


@pytest.mark.django_db
def test_readyz_names_the_broker_when_the_embedded_brokers_folder_cannot_be_written(
    client, task_broker: Path, tmp_path: Path
) -> None:
    from config.celery import app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the queue folder should be")
    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "data_folder_out": str(blocker / "q")}
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith(f"cannot write to {blocker / 'q'}")


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
out = {}
for path in ("/readyz/", "/experiments/", "/api/v1/runs/", "/healthz/"):
    r = client.get(path)
    out[path] = {"status": r.status_code, "retry_after": r.get("Retry-After"), "type": r.get("Content-Type"),
                 "body": r.content.decode()[:2000]}
print("PROBE" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def answers_while_the_database_is_down() -> dict[str, dict[str, object]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/nothing",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "readiness-" + "k" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "REDIS_CACHE_URL": "",
        "CELERY_BROKER_DIR": "/tmp/readiness-broker",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE")]
    assert lines, f"the probe failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1][len("PROBE") :])


def test_readyz_names_the_database_when_it_is_down(answers_while_the_database_is_down) -> None:
    ready = answers_while_the_database_is_down["/readyz/"]
    assert ready["status"] == 503
    body = json.loads(str(ready["body"]))
    assert body["status"] == "unavailable: database"
    assert body["checks"]["database"].startswith("OperationalError")


def test_a_page_answers_503_with_retry_after_and_a_plain_message_while_the_database_is_down(
    answers_while_the_database_is_down,
) -> None:
    page = answers_while_the_database_is_down["/experiments/"]
    assert page["status"] == 503 and page["retry_after"] == "30"
    assert str(page["type"]).startswith("text/html")
    assert "database cannot be reached" in str(page["body"]) and "Traceback" not in str(page["body"])


def test_the_api_answers_503_in_its_error_format_while_the_database_is_down(answers_while_the_database_is_down) -> None:
    api = answers_while_the_database_is_down["/api/v1/runs/"]
    assert api["status"] == 503 and api["retry_after"] == "30"
    error = json.loads(str(api["body"]))["error"]
    assert error["code"] == "unavailable" and "database cannot be reached" in error["message"]


def test_liveness_does_not_depend_on_the_database(answers_while_the_database_is_down) -> None:
    assert answers_while_the_database_is_down["/healthz/"]["status"] == 200
