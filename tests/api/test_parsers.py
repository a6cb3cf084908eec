"""Bodies nested absurdly deep are a clear 400, never a 500."""

from __future__ import annotations

import json

import pytest

from apps.api.parsers import MAX_JSON_DEPTH
from apps.core.jsondepth import json_depth
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def test_depth_counts_brackets_but_not_those_inside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}], "c": "\\"]"}') == 3
    assert json_depth(b"5") == 0


@pytest.mark.parametrize("depth", [5000, MAX_JSON_DEPTH + 1])
def test_a_deeply_nested_body_is_refused_with_a_reason(world, depth) -> None:
    body = "[" * depth + "]" * depth
    response = client_for(world.run.requested_by).post("/api/v1/runs/", body, content_type="application/json")
    assert response.status_code == 400
    assert f"nested {depth} levels deep" in json.dumps(response.json())


def test_an_ordinary_request_still_parses(world) -> None:
    params = {"experiment": "deep_linear", "preset": "smoke", "params": {"singular_values": [3.0, 2.0]}}
    response = client_for(world.run.requested_by).post("/api/v1/runs/", params, format="json")
    assert response.status_code in (200, 202)
