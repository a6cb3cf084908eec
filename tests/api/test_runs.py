"""Run requests through the API: validation by field, identical-request reuse, quotas, polling, cancel, reproduce."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from apps.experiments.models import Run
from tests.api.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _request(client: APIClient, **body: object):
    return client.post("/api/v1/runs/", body, format="json")


def test_a_new_request_is_accepted_with_a_location_and_enqueued_once(
    world: World, bob, task_broker, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(client_for(bob), experiment="deep_linear", preset="smoke", params={"lr": 0.01})
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/runs/{run_id}/"
    assert response.json()["status"] == "queued"
    assert Run.objects.get(pk=run_id).requested_by == bob
    assert task_broker.run_ids() == [run_id]


def test_an_identical_request_returns_the_existing_run_with_200(
    world: World, bob, mallory, task_broker, django_capture_on_commit_callbacks
) -> None:
    body = {"experiment": "deep_linear", "preset": "smoke", "params": {"lr": 0.02}}
    with django_capture_on_commit_callbacks(execute=True):
        first = _request(client_for(bob), **body)
        # Defaults spelled out are the same configuration.
        again = _request(client_for(mallory), experiment="deep_linear", preset="smoke", params={"lr": 0.02, "seed": 0})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert task_broker.run_ids() == [first.json()["id"]]


def test_bad_parameters_come_back_by_field_and_nothing_is_saved(world: World, bob, task_broker) -> None:
    before = Run.objects.count()
    response = _request(client_for(bob), experiment="deep_linear", params={"lr": -1, "steps": "many", "colour": 3})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert {"lr", "steps", "colour"} <= set(error["fields"])
    assert Run.objects.count() == before and task_broker.run_ids() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"experiment": "perpetual_motion"}, "experiment"),
        ({"params": {}}, "experiment"),
        ({"experiment": "deep_linear", "params": [1, 2]}, "params"),
        ({"experiment": "deep_linear", "preset": "enormous"}, "preset"),
    ],
)
def test_malformed_requests_name_the_field(world: World, bob, body: dict, field: str) -> None:
    response = _request(client_for(bob), **body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_the_concurrent_quota_refuses_with_a_message(world: World, bob, settings) -> None:
    settings.RUNS_MAX_CONCURRENT_PER_USER = 1
    client = client_for(bob)
    assert _request(client, experiment="deep_linear", params={"steps": 20}).status_code == 202
    response = _request(client, experiment="deep_linear", params={"steps": 21})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "limit is 1" in error["fields"]["quota"][0]
    # An identical request is not a new run, so the quota does not stand in its way.
    assert _request(client, experiment="deep_linear", params={"steps": 20}).status_code == 200


def test_the_daily_quota_refuses_with_a_message(world: World, bob, settings) -> None:
    settings.RUNS_MAX_PER_DAY_PER_USER = 1
    client = client_for(bob)
    assert _request(client, experiment="deep_linear", params={"steps": 30}).status_code == 202
    response = _request(client, experiment="deep_linear", params={"steps": 31})
    assert response.status_code == 400
    assert "24 hours" in response.json()["error"]["message"]


def test_polling_shows_progress_until_the_run_is_finished(world: World) -> None:
    client = APIClient()
    path = f"/api/v1/runs/{world.run.pk}/"
    Run.objects.filter(pk=world.run.pk).update(status="running", progress=0.4, message="step 40")
    running = client.get(path).json()
    assert (running["status"], running["progress"], running["finished"]) == ("running", 0.4, False)
    assert running["result_url"] is None
    done = client.get(f"/api/v1/runs/{world.done.pk}/").json()
    assert done["finished"] is True and done["result_url"] == f"/api/v1/runs/{world.done.pk}/result/"


def test_the_result_comes_as_json_and_as_csv(world: World) -> None:
    client = APIClient()
    data = json.loads(b"".join(client.get(f"/api/v1/runs/{world.done.pk}/result/").streaming_content))
    assert data["result"]["loss"] == [1.0, 0.5, 0.25]
    assert data["provenance"] == {"device": "cpu"}
    csv = client.get(f"/api/v1/runs/{world.done.pk}/result.csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert b"".join(csv.streaming_content).decode().splitlines() == ["t,loss", "0,1.0", "1,0.5", "2,0.25"]


def test_the_owner_cancels_and_mallory_cannot(world: World, alice, mallory) -> None:
    path = f"/api/v1/runs/{world.run.pk}/cancel/"
    refused = client_for(mallory).post(path)
    assert refused.status_code == 403
    world.run.refresh_from_db()
    assert world.run.status == "queued"
    response = client_for(alice).post(path)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_reproducing_a_run_creates_a_linked_run(
    world: World, alice, task_broker, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/api/v1/runs/{world.done.pk}/reproduce/")
    assert response.status_code == 202
    assert response.json()["reproduction_of"] == world.done.pk
    assert task_broker.run_ids() == [response.json()["id"]]


def test_only_a_succeeded_run_can_be_reproduced(world: World, alice) -> None:
    response = client_for(alice).post(f"/api/v1/runs/{world.run.pk}/reproduce/")
    assert response.status_code == 400
    assert "run" in response.json()["error"]["fields"]


def test_an_experiment_shows_its_config_schema_and_presets(world: World) -> None:
    body = APIClient().get("/api/v1/experiments/deep_linear/").json()
    assert body["config_schema"]["properties"]["lr"]["exclusiveMinimum"] == 0
    assert "smoke" in body["presets"]
    assert APIClient().get("/api/v1/experiments/perpetual_motion/").status_code == 404


def test_a_queued_run_tells_its_place_in_the_queue(world, client) -> None:
    from tests.api.conftest import client_for

    body = client_for(world.run.requested_by).get(f"/api/v1/runs/{world.run.pk}/").json()
    assert body["queue"]["position"] == 1 and body["queue"]["text"].startswith("This run is next in the queue")
    done = client_for(world.run.requested_by).get(f"/api/v1/runs/{world.done.pk}/").json()
    assert done["queue"] is None
