"""/metrics/: closed to the public, and each metric there with the value the site's state implies."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.core.cache_backends import FailOpenRedisCache
from apps.experiments.models import Experiment, Run, RunEvent, WorkerHeartbeat

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scraper-token"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return _samples(response.content.decode())


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- Who may read them --------------------------------------------------------------------------------


def test_metrics_do_not_exist_until_a_token_or_an_address_is_configured(client, settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_the_scraper_gets_in_with_the_token_and_nobody_else(client, settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = TOKEN, []
    assert client.get("/metrics/").status_code == 403
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    assert client.get("/metrics/", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 403
    assert client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_an_allowed_network_gets_in_without_a_token_and_other_addresses_do_not(client, settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8", "192.168.1.7"]
    assert client.get("/metrics/", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics/", REMOTE_ADDR="192.168.1.7").status_code == 200
    assert client.get("/metrics/", REMOTE_ADDR="192.168.1.8").status_code == 403
    # A forwarded-for header is the client's word, not its address.
    assert client.get("/metrics/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 403


def test_a_malformed_allowed_address_stops_the_site_at_start(tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "METRICS_ALLOWED_IPS": "10.0.0.0/8,not-an-address",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "METRICS_ALLOWED_IPS: 'not-an-address' is not an address or a network" in done.stderr


# --- What they say -------------------------------------------------------------------------------------


@pytest.fixture
def scraper(settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = TOKEN, []


def _run(experiment: Experiment, key: str, **fields) -> Run:
    return Run.objects.create(experiment=experiment, config={}, config_hash="c", code_hash="h", cache_key=key, **fields)


def test_runs_queue_durations_workers_and_reaper_actions_are_counted_from_the_database(
    client, scraper, task_broker
) -> None:
    now = timezone.now()
    exp = Experiment.objects.create(name="deep_linear", title="Deep linear")
    for i, seconds in enumerate((10.0, 20.0, 30.0)):
        _run(exp, f"done{i}", status="succeeded", started_at=now - timedelta(seconds=seconds), finished_at=now)
    _run(exp, "failed", status="failed", started_at=now, finished_at=now)
    waiting = _run(exp, "q0", status="queued", priority=0)
    Run.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(seconds=120))
    _run(exp, "q6", status="queued", priority=6)
    running = _run(exp, "r", status="running", started_at=now)
    RunEvent.objects.create(run=running, action=RunEvent.Action.LEASE_EXPIRED)
    RunEvent.objects.create(run=waiting, action=RunEvent.Action.REPUBLISHED)
    RunEvent.objects.create(run=waiting, action=RunEvent.Action.REPUBLISHED)
    WorkerHeartbeat.objects.create(name="gpu0@a", queues="experiments", concurrency=1, started_at=now, last_seen=now)
    WorkerHeartbeat.objects.create(name="cpu@b", queues="default", concurrency=4, started_at=now, last_seen=now)
    WorkerHeartbeat.objects.create(
        name="gone@c", queues="experiments", concurrency=1, started_at=now, last_seen=now - timedelta(hours=1)
    )
    from config.celery import app, ensure_broker_folders

    ensure_broker_folders()
    with app.producer_or_acquire() as producer:
        for _ in range(2):
            producer.publish({"x": 1}, routing_key="experiments", declare=[app.amqp.queues["experiments"]])

    samples = _scrape(client)

    assert _value(samples, "lm_database_up") == 1 and _value(samples, "lm_broker_up") == 1
    assert _value(samples, "lm_runs", status="queued") == 2
    assert _value(samples, "lm_runs", status="running") == 1
    assert _value(samples, "lm_runs", status="succeeded") == 3
    assert _value(samples, "lm_runs", status="failed") == 1
    assert _value(samples, "lm_runs", status="cancelled") == 0
    assert 120 <= _value(samples, "lm_queue_oldest_seconds", queue="experiments", priority="0") < 180
    assert 0 <= _value(samples, "lm_queue_oldest_seconds", queue="experiments", priority="6") < 60
    assert _value(samples, "lm_queue_depth", queue="experiments") == 2
    assert _value(samples, "lm_run_duration_seconds", experiment="deep_linear", quantile="0.5") == pytest.approx(20.0)
    assert 20.0 < _value(samples, "lm_run_duration_seconds", experiment="deep_linear", quantile="0.9") <= 30.0
    assert _value(samples, "lm_runs_finished_total", experiment="deep_linear", status="succeeded") == 3
    assert _value(samples, "lm_runs_finished_total", experiment="deep_linear", status="failed") == 1
    assert _value(samples, "lm_workers") == 2
    assert _value(samples, "lm_worker_slots") == 5
    assert _value(samples, "lm_run_lease_expiries_total") == 1
    assert _value(samples, "lm_run_republished_total") == 2


def test_requests_are_counted_per_view_with_their_latency(client, scraper, task_broker) -> None:
    before = _scrape(client)
    for _ in range(3):
        assert client.get("/experiments/").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    after = _scrape(client)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("lm_http_requests_total", view="experiments:list", method="GET", status="200") == 3
    assert grew("lm_http_requests_total", view="<unmatched>", method="GET", status="404") == 1
    assert grew("lm_http_request_duration_seconds_count", view="experiments:list") == 3
    assert grew("lm_http_request_duration_seconds_sum", view="experiments:list") > 0
    # The slowest bucket holds every request; the fastest holds no more.
    assert grew("lm_http_request_duration_seconds_bucket", view="experiments:list", le="+Inf") == 3
    assert grew("lm_http_request_duration_seconds_bucket", view="experiments:list", le="0.01") <= 3


def test_the_redis_cache_counts_hits_misses_and_errors(client, scraper, redis_url) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    options = {"OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}}
    live, dead = FailOpenRedisCache(redis_url, options), FailOpenRedisCache(f"redis://127.0.0.1:{closed}/0", options)
    before = _scrape(client)
    live.set("metrics-test", 1)
    assert live.get("metrics-test") == 1
    assert live.get("metrics-test-missing") is None
    assert live.get_many(["metrics-test", "metrics-test-missing"]) == {"metrics-test": 1}
    assert dead.get("metrics-test") is None
    after = _scrape(client)
    live.delete("metrics-test")

    def grew(outcome: str) -> float:
        return _value(after, "lm_cache_events_total", cache="redis", outcome=outcome) - _value(
            before, "lm_cache_events_total", cache="redis", outcome=outcome
        )

    assert (grew("hit"), grew("miss"), grew("error")) == (2, 2, 1)


def test_a_scrape_while_the_broker_is_down_says_so_and_still_answers(client, scraper, settings) -> None:
    from config.celery import app
    from tests.conftest import _drop_broker_connections

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport = (
        f"redis://127.0.0.1:{closed}/0",
        {},
        None,
    )
    _drop_broker_connections(app)
    try:
        samples = _scrape(client)
    finally:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport = saved
        _drop_broker_connections(app)
    assert _value(samples, "lm_broker_up") == 0
    assert _value(samples, "lm_database_up") == 1
    assert not any(name == "lm_queue_depth" for name, _ in samples)


def test_anonymous_reading_pages_count_their_cache_hits_and_misses(client, scraper) -> None:
    from django.test import Client

    before = _scrape(client)
    reader = Client()
    assert reader.get("/perspectives/")["X-Page-Cache"] == "miss"
    assert reader.get("/perspectives/")["X-Page-Cache"] == "hit"
    assert reader.get("/perspectives/")["X-Page-Cache"] == "hit"
    after = _scrape(client)

    def grew(outcome: str) -> float:
        return _value(after, "lm_cache_events_total", cache="page", outcome=outcome) - _value(
            before, "lm_cache_events_total", cache="page", outcome=outcome
        )

    assert (grew("hit"), grew("miss")) == (2, 1)
