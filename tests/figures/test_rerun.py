"""'Run it yourself': the prefilled form, validation, the quota, and the queued run whose message lands."""

from __future__ import annotations

import pytest

from apps.experiments.models import Run

pytestmark = pytest.mark.django_db


def test_the_experiment_form_is_prefilled_from_a_figures_link(client):
    response = client.get("/experiments/deep_linear/?preset=smoke&init_scale=0.02&lr=0.03")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="init_scale"' in html and 'value="0.02"' in html and 'value="0.03"' in html


def test_a_prefill_with_a_bad_value_shows_the_form_and_never_a_500(client):
    response = client.get("/experiments/deep_linear/?init_scale=banana")
    assert response.status_code == 200 and 'value="banana"' in response.content.decode()


def test_a_signed_in_reader_requests_a_run_which_is_queued_and_its_message_lands(
    client,
    alice,
    task_broker,
    django_capture_on_commit_callbacks,
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/experiments/deep_linear/", {"preset": "smoke", "init_scale": "0.02"})
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/experiments/runs/{run.pk}/"
    assert run.status == "queued" and run.requested_by == alice and run.config["init_scale"] == 0.02
    messages = task_broker.messages()
    assert len(messages) == 1 and messages[0]["headers"]["argsrepr"] == f"[{run.pk}]"
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="run-progress-bar"' in page  # live progress until it finishes


def test_an_out_of_bounds_request_is_refused_naming_the_field_and_queues_nothing(client, alice, task_broker):
    client.force_login(alice)
    response = client.post("/experiments/deep_linear/", {"preset": "smoke", "init_scale": "-1"})
    assert response.status_code == 400 and "init_scale" in response.content.decode()
    assert not Run.objects.exists()
    assert task_broker.messages() == []


def test_the_quota_limits_requests_from_a_figure(client, alice, settings):
    settings.RUNS_MAX_CONCURRENT_PER_USER = 1
    client.force_login(alice)
    client.post("/experiments/deep_linear/", {"preset": "smoke", "init_scale": "0.02"})
    response = client.post("/experiments/deep_linear/", {"preset": "smoke", "init_scale": "0.03"})
    assert response.status_code == 400 and "the limit is 1" in response.content.decode()
    assert Run.objects.count() == 1


def test_anonymous_readers_are_sent_to_log_in(client):
    response = client.post("/experiments/deep_linear/", {"preset": "smoke", "init_scale": "0.02"})
    assert response.status_code == 302 and "next=" in response["Location"]
    assert not Run.objects.exists()
