from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from django.urls import reverse

from apps.experiments import services
from apps.experiments.executors import Computed
from apps.experiments.models import Run
from tests.factories import downloaded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("apps.experiments.tasks.execute_run.apply_async", lambda args, **kw: None)


def _finished_run(user) -> Run:
    run, _ = services.run_request(requester=user, experiment="deep_linear", params={}, preset="smoke")
    claim = services.run_claim(run_id=run.pk, worker="w")
    result = {"times": [0.0, 1.0], "measured": [[0.1, 0.2], [0.3, 0.4]], "metrics": {"max_rel_error": 0.01}}
    services.run_finish(
        claim=claim, computed=Computed(result=result, provenance={"device": "cpu", "seed": 0}, digest="abc")
    )
    run.refresh_from_db()
    return run


def test_the_experiment_list_shows_the_registered_experiments(client) -> None:
    response = client.get(reverse("experiments:list"))
    assert response.status_code == 200
    assert b"Deep linear network dynamics" in response.content


def test_the_experiment_page_has_a_form_with_the_bounds(client) -> None:
    response = client.get(reverse("experiments:detail", args=["deep_linear"]))
    html = response.content.decode()
    assert 'name="steps"' in html and 'max="200000"' in html
    assert "Sign in" in html


def test_an_unknown_experiment_is_a_404(client) -> None:
    assert client.get(reverse("experiments:detail", args=["nope"])).status_code == 404


def test_a_signed_in_reader_can_request_a_run_from_the_form(client, bob) -> None:
    client.force_login(bob)
    response = client.post(
        reverse("experiments:detail", args=["deep_linear"]),
        {"preset": "smoke", "steps": "400", "singular_values": "2, 1"},
    )
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.config["steps"] == 400 and run.config["singular_values"] == [2.0, 1.0]
    assert run.requested_by == bob


def test_bad_form_values_are_shown_next_to_their_field_and_nothing_is_saved(client, bob) -> None:
    client.force_login(bob)
    response = client.post(reverse("experiments:detail", args=["deep_linear"]), {"preset": "smoke", "steps": "-3"})
    assert response.status_code == 400
    assert b"errorlist" in response.content and b"greater than or equal to 10" in response.content
    assert not Run.objects.exists()


def test_an_anonymous_post_is_sent_to_sign_in(client) -> None:
    response = client.post(reverse("experiments:detail", args=["deep_linear"]), {"preset": "smoke"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Run.objects.exists()


def test_the_run_page_shows_progress_provenance_and_downloads(client, alice) -> None:
    run = _finished_run(alice)
    html = client.get(run.get_absolute_url()).content.decode()
    assert "<progress" in html and "run-progress.js" in html
    assert "max_rel_error" in html and reverse("experiments:run_result_csv", args=[run.pk]) in html
    assert "<script>" not in html


def test_status_json_reports_progress(client, alice) -> None:
    run, _ = services.run_request(requester=alice, experiment="deep_linear", params={}, preset="smoke")
    data = client.get(reverse("experiments:run_status", args=[run.pk])).json()
    assert data["status"] == "queued" and data["finished"] is False


def test_the_csv_download_has_one_column_per_series(client, alice) -> None:
    run = _finished_run(alice)
    response = client.get(reverse("experiments:run_result_csv", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(downloaded(response).decode())))
    assert rows[0] == ["times", "measured[0]", "measured[1]"]
    assert rows[2] == ["1.0", "0.2", "0.4"]


def test_the_json_download_carries_result_and_provenance(client, alice) -> None:
    run = _finished_run(alice)
    data = json.loads(downloaded(client.get(reverse("experiments:run_result_json", args=[run.pk]))))
    assert data["result"]["metrics"]["max_rel_error"] == 0.01 and data["provenance"]["device"] == "cpu"


def test_an_unfinished_run_has_no_downloads(client, alice) -> None:
    run, _ = services.run_request(requester=alice, experiment="deep_linear", params={}, preset="smoke")
    assert client.get(reverse("experiments:run_result_json", args=[run.pk])).status_code == 404


def test_another_member_cannot_cancel_a_run(client, alice, mallory) -> None:
    run, _ = services.run_request(requester=alice, experiment="deep_linear", params={}, preset="smoke")
    client.force_login(mallory)
    assert client.post(reverse("experiments:run_cancel", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.status == "queued"


def test_the_owner_can_reproduce_a_finished_run(client, alice) -> None:
    run = _finished_run(alice)
    client.force_login(alice)
    response = client.post(reverse("experiments:run_reproduce", args=[run.pk]))
    copy = Run.objects.get(reproduction_of=run)
    assert response["Location"] == copy.get_absolute_url()


def test_the_web_process_never_imports_torch() -> None:
    code = (
        "import django, sys, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "django.setup()\n"
        "from django.urls import resolve, reverse\n"
        "import config.urls, apps.experiments.views, apps.experiments.tasks\n"
        "resolve(reverse('experiments:detail', args=['deep_linear']))\n"
        "from apps.experiments.forms import config_fields\n"
        "import compute.registry as r\n"
        "[config_fields(e, values={}) for e in r.all_experiments().values()]\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_failed_run_page_says_why_and_offers_the_traceback(client, alice) -> None:
    run, _ = services.run_request(requester=alice, experiment="deep_linear", params={}, preset="smoke")
    claim = services.run_claim(run_id=run.pk, worker="w")
    services.run_fail(claim=claim, error="RuntimeError: diverged", traceback="Traceback (most recent call last): ...")
    html = client.get(run.get_absolute_url()).content.decode()
    assert "RuntimeError: diverged" in html and "<summary>Traceback</summary>" in html
    assert 'data-finished="true"' in html


def test_the_experiment_page_lists_recent_runs(client, alice) -> None:
    run, _ = services.run_request(requester=alice, experiment="deep_linear", params={}, preset="smoke")
    html = client.get(reverse("experiments:detail", args=["deep_linear"])).content.decode()
    assert run.get_absolute_url() in html


def test_list_fields_show_their_default_values() -> None:
    from apps.experiments.forms import config_fields
    from compute import registry

    fields = {f.name: f for f in config_fields(registry.get("deep_linear"), values={})}
    assert fields["singular_values"].value == "3.0, 2.0, 1.0, 0.5"
