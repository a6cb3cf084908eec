"""figure.json for finished, computing and failed runs; ETags; downloads that equal the plotted data."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.factories import downloaded

pytestmark = pytest.mark.django_db


def plotted_from_item(item: dict) -> list[dict]:
    """Every ColumnDataSource in a serialised Bokeh document, as the browser receives it."""
    found: dict[str, dict] = {}

    def decode(value):
        if isinstance(value, dict) and value.get("type") == "map":
            return {k: decode(v) for k, v in value.get("entries", [])}
        if isinstance(value, dict) and value.get("type") == "ndarray":
            raise AssertionError("expected plain lists in the figure's sources")
        return value

    def visit(node):
        if isinstance(node, dict):
            if node.get("name") == "ColumnDataSource" and "attributes" in node:
                found[node["id"]] = decode(node["attributes"]["data"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(item["doc"])
    # Sources without x and y only draw a glyph in the figure's key; they hold no data.
    return [{"x": d["x"], "y": d["y"], "series": d["series"][0]} for d in found.values() if "x" in d and "y" in d]


def test_a_finished_run_serves_its_bokeh_item_with_an_etag_that_follows_the_figure_code(client, finished_run):
    from apps.experiments.embeds import figure_version

    run = finished_run()
    response = client.get(f"/experiments/runs/{run.pk}/figure.json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["run"] == run.pk
    assert body["item"]["root_id"] and body["item"]["doc"]["roots"][0]["name"] == "Figure"
    # Kept an hour, then revalidated: a restyled figure (new figure code) reaches readers without a new URL.
    assert response["Cache-Control"] == "public, max-age=3600"
    assert run.digest[:32] in response["ETag"] and figure_version(run) in response["ETag"]
    again = client.get(f"/experiments/runs/{run.pk}/figure.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_the_theory_renderers_are_tagged_so_they_can_be_toggled(client, finished_run):
    item = client.get(f"/experiments/runs/{finished_run().pk}/figure.json").json()["item"]
    text = str(item["doc"])
    assert "'theory'" in text and "'measured'" in text
    assert "CustomJS" not in text  # a strict CSP without unsafe-eval could not run it


def test_a_computing_run_reports_progress_and_is_never_cached(client, make_run):
    run = make_run({"init_scale": 0.001}, "running", progress=0.4, message="step 40 of 100")
    response = client.get(f"/experiments/runs/{run.pk}/figure.json")
    assert response.json() == {
        "run": run.pk,
        "status": "running",
        "progress": 0.4,
        "message": "step 40 of 100",
        "item": None,
    }
    assert response["Cache-Control"] == "no-store" and not response.has_header("ETag")


def test_a_failed_run_says_why(client, make_run):
    run = make_run({"init_scale": 0.001}, "failed", error="ValueError: the loss became NaN", message="failed")
    body = client.get(f"/experiments/runs/{run.pk}/figure.json").json()
    assert body["status"] == "failed" and body["item"] is None
    assert body["error"] == "ValueError: the loss became NaN"
    assert "replaced_by" not in body


def test_a_failed_run_points_to_the_identical_run_that_replaced_it(client, make_run):
    failed = make_run({"init_scale": 0.001}, "failed", error="lost")
    fresh = make_run({"init_scale": 0.001}, "queued")
    body = client.get(f"/experiments/runs/{failed.pk}/figure.json").json()
    assert body["replaced_by"] == fresh.pk
    assert body["replacement_figure"] == f"/experiments/runs/{fresh.pk}/figure.json"


def test_an_unknown_run_is_a_404(client):
    assert client.get("/experiments/runs/999999/figure.json").status_code == 404
    assert client.get("/experiments/runs/999999/data.csv").status_code == 404


def test_the_json_download_is_exactly_the_plotted_data(client, finished_run):
    run = finished_run()
    plotted = plotted_from_item(client.get(f"/experiments/runs/{run.pk}/figure.json").json()["item"])
    response = client.get(f"/experiments/runs/{run.pk}/data.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    series = json.loads(downloaded(response))["series"]
    assert [(s["name"], s["x"], s["y"]) for s in series] == [(p["series"], p["x"], p["y"]) for p in plotted]
    assert {s["role"] for s in series} == {"theory", "measured"}


def test_the_csv_download_is_exactly_the_plotted_data(client, finished_run):
    run = finished_run()
    plotted = plotted_from_item(client.get(f"/experiments/runs/{run.pk}/figure.json").json()["item"])
    response = client.get(f"/experiments/runs/{run.pk}/data.csv")
    rows = list(csv.DictReader(io.StringIO(downloaded(response).decode())))
    expected = [(p["series"], x, y) for p in plotted for x, y in zip(p["x"], p["y"], strict=True)]
    assert [(r["series"], float(r["x"]), float(r["y"])) for r in rows] == expected
    again = client.get(f"/experiments/runs/{run.pk}/data.csv", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_large_download_is_written_once_sent_compressed_and_rate_limited(client, finished_run, settings):
    import gzip

    from django.core.files.storage import default_storage

    run = finished_run()
    plain = client.get(f"/experiments/runs/{run.pk}/result.json")
    packed = client.get(f"/experiments/runs/{run.pk}/result.json", HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(packed.streaming_content)) == downloaded(plain)
    assert default_storage.exists(f"run-exports/{run.pk}/{run.digest[:32]}-result-json.gz")  # written once, kept
    settings.RUNS_DOWNLOADS_PER_MINUTE = 3
    statuses = [client.get(f"/experiments/runs/{run.pk}/result.csv").status_code for _ in range(3)]
    assert statuses == [200, 429, 429]  # two downloads already counted this minute
    limited = client.get(f"/experiments/runs/{run.pk}/data.json")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    holder = client.get(f"/experiments/runs/{run.pk}/result.json", HTTP_IF_NONE_MATCH=plain["ETag"])
    assert holder.status_code == 304  # a client that holds the file is never refused


def test_a_run_without_a_result_has_no_data_to_download(client, make_run):
    run = make_run({"init_scale": 0.001}, "queued")
    response = client.get(f"/experiments/runs/{run.pk}/data.json")
    assert response.status_code == 404 and response["Cache-Control"] == "no-store"


def test_figure_json_is_gzipped_for_clients_that_accept_it_and_its_weak_etag_still_revalidates(client, finished_run):
    import gzip

    run = finished_run()
    response = client.get(f"/experiments/runs/{run.pk}/figure.json", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["status"] == "succeeded"
    assert response["ETag"].startswith("W/")
    again = client.get(
        f"/experiments/runs/{run.pk}/figure.json", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_a_result_the_figure_code_cannot_draw_gives_a_message_not_a_500(client, finished_run):
    run = finished_run()
    run.result.data = {"times": [0.0, 1.0]}  # the builder needs more than this
    run.result.save()
    response = client.get(f"/experiments/runs/{run.pk}/figure.json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["item"] is None and "could not be drawn" in response.json()["error"]


def test_the_plotted_data_of_a_layout_covers_every_plot_in_it():
    from bokeh.layouts import column, gridplot, row

    from apps.experiments.embeds import series_from_figure
    from compute.plotting import add_measured, add_theory, new_figure

    left, right = new_figure("a", "x", "y"), new_figure("b", "x", "y")
    add_theory(left, [0, 1], [0, 1], label="line")
    add_measured(right, [0, 1], [2, 3], label="dots")
    for layout in (row(left, right), column(left, right), gridplot([[left, right]])):
        assert [(s["name"], s["role"], s["y"]) for s in series_from_figure(layout)] == [
            ("line", "theory", [0, 1]),
            ("dots", "measured", [2, 3]),
        ]
