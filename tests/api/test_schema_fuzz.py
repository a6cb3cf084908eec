"""Schemathesis, driven by the generated OpenAPI schema, against the API in process.

Every operation gets a bounded, derandomised set of generated requests, sent
anonymously and with alice's token. Path parameters point at real objects
(the permission matrix covers unknown ids), so bodies and query strings are
fuzzed against live data. Checks: no 5xx, every status code and content type
is documented, and every response matches its schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.api.conftest import World, client_for

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # The raw WSGI handler closes database connections when a request ends, which would close
    # the test's transaction; Django's own test client disconnects these receivers the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _real_ids(path: str, world: World) -> dict[str, Any]:
    ids: dict[str, Any] = {"slug": world.article.slug, "number": 1, "name": "deep_linear", "username": "alice"}
    if path.startswith("/api/v1/runs/"):
        ids["id"] = world.done.pk if ("result" in path or "reproduce" in path) else world.run.pk
    elif path.startswith("/api/v1/forum/threads/"):
        ids["id"] = world.thread.pk
    elif path.startswith("/api/v1/forum/posts/"):
        ids["id"] = world.post.pk
    if path.startswith("/api/v1/forum/categories/"):
        ids["slug"] = world.category.slug
    return ids


FUZZ = settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def _point_at_real_objects(case: Any, world: World) -> None:
    for key, value in _real_ids(case.path, world).items():
        if case.path_parameters and key in case.path_parameters:
            case.path_parameters[key] = value


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_the_api_never_fails_and_matches_its_schema_for_anonymous_callers(case: Any, world: World) -> None:
    _point_at_real_objects(case, world)
    # The in-process transport does not undo Content-Encoding as an HTTP client would; ask for plain bodies.
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=CHECKS)


@pytest.mark.django_db
@schema.include(method=["POST", "PUT", "PATCH", "DELETE"]).parametrize()
@FUZZ
def test_writes_never_fail_and_match_the_schema_for_a_member(case: Any, world: World, alice) -> None:
    # Reads by members are covered by the permission matrix; writes are where a member reaches the services.
    _point_at_real_objects(case, world)
    token = client_for(alice)._credentials["HTTP_AUTHORIZATION"]
    case.call_and_validate(headers={"Authorization": token, "Accept-Encoding": "identity"}, checks=CHECKS)
