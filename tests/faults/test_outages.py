"""Runs and requests through real outages, on Redis and on the embedded broker, while requests keep coming.

Each test injects one kind of fault into both stacks at once (they share the
suite's PostgreSQL), then checks what a user and an operator would: every run
finished, computed to completion exactly once (the ``ledger`` experiment
appends a line when it completes), nothing left queued, the workers back
without being restarted, and no request answered with an error other than a
503 that says when to come back. The tests run in order and share the stacks;
each checks its own runs and its own window of traffic.
"""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time

import pytest
import requests

from tests.faults.conftest import report
from tests.faults.servers import Postgres, Redis, SmallDisk, wait_until
from tests.faults.stack import Stack, Traffic, bad_answers, summary

pytestmark = [pytest.mark.faults]

OUTAGE_S = 30


def assert_computed_exactly_once(stack: Stack, prefix: str) -> None:
    rows = stack.runs(prefix)
    done = stack.completions()
    unfinished = [r for r in rows if r.status != "succeeded"]
    assert not unfinished, f"{stack.name}: runs not succeeded: {unfinished}"
    twice = {r.label: done.get(r.label, 0) for r in rows if done.get(r.label, 0) != 1}
    assert not twice, f"{stack.name}: runs computed to completion other than once (label: times): {twice}"


def assert_no_bad_answers(traffic: Traffic, since: float) -> None:
    answers = traffic.since(since)
    assert answers, "no traffic was recorded"
    bad = bad_answers(answers)
    assert not bad, f"{traffic.stack.name}: {len(bad)} bad answers, e.g. {bad[:3]}"


def assert_workers_back(stack: Stack) -> None:
    wait_until(
        lambda: stack.live_workers() >= set(stack.nodes), timeout=60, what=f"every {stack.name} worker's heartbeat"
    )
    dead = [name for name, node in stack.nodes.items() if not node.alive()]
    assert not dead, f"{stack.name}: worker nodes exited: {dead}\n{stack.logs_tail()}"


# --- Worker deaths -----------------------------------------------------------------------------------


def _kill_drill(stack: Stack, kills: int, recoveries: dict[str, list[float]]) -> None:
    """Kill the process computing a run, ``kills`` times: a pool child, then the whole node, in turn."""
    for i in range(kills):
        whole_node = i % 2 == 1
        run_id = stack.start_run(stack.label("kill"), duration_s=6.0)
        row = wait_until(
            lambda run_id=run_id: (r := stack.run(run_id)) is not None and r.status == "running" and r.worker and r,
            timeout=90,
            what=f"{stack.name} run {run_id} to start",
        )
        time.sleep(1.0)
        pid = int(row.worker.rpartition(":")[2])
        node = stack.node_of(pid)
        assert node is not None, f"{stack.name}: no node holds pid {pid}"
        killed_at = time.monotonic()
        if whole_node:
            stack.nodes[node].kill_group()
            # As systemd's Restart=always would; the run itself is taken back by the reaper of any node.
            stack.nodes[node].start()
        else:
            os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda run_id=run_id: (
                (r := stack.run(run_id)) is not None and r.attempts >= 2 and r.status in ("running", "succeeded")
            ),
            timeout=90,
            what=f"{stack.name} run {run_id} to run again after its worker was killed",
        )
        kind = "node" if whole_node else "child"
        recoveries.setdefault(f"{stack.name} {kind}", []).append(time.monotonic() - killed_at)


def test_runs_survive_workers_killed_mid_run_and_are_computed_exactly_once(
    redis_stack: Stack, fs_stack: Stack, traffic: dict[str, Traffic]
) -> None:
    began = time.monotonic()
    recoveries: dict[str, list[float]] = {}
    failures: list[BaseException] = []

    def drill(stack: Stack) -> None:
        try:
            _kill_drill(stack, 5, recoveries)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=drill, args=(stack,)) for stack in (redis_stack, fs_stack)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    for stack in (redis_stack, fs_stack):
        stack.wait_finished("kill-", timeout=120)
        assert_computed_exactly_once(stack, "kill-")
        assert_workers_back(stack)
        assert_no_bad_answers(traffic[stack.name], began)
    for what, times in sorted(recoveries.items()):
        report(
            f"worker death ({what} SIGKILL), kill -> run running again: "
            f"median {statistics.median(times):.1f} s, max {max(times):.1f} s over {len(times)} kills"
        )


# --- Broker outage -----------------------------------------------------------------------------------


def test_runs_requested_while_the_broker_is_down_are_queued_and_computed_once_it_returns(
    redis_stack: Stack, fs_stack: Stack, redis_server: Redis, small_disk: SmallDisk, traffic: dict[str, Traffic]
) -> None:
    """Redis stopped (its messages lost: no persistence), and the embedded broker's disk full, for 30 s."""
    began = time.monotonic()
    # A finished run whose download nobody asked for yet: its stored copy is written on the first request.
    download = fs_stack.start_run(fs_stack.label("download"), duration_s=0.1)
    fs_stack.wait_finished("download-", timeout=60)
    for stack in (redis_stack, fs_stack):
        for _ in range(3):
            stack.start_run(stack.label("broker"), duration_s=2.0)
    down_at = time.monotonic()
    # The embedded broker frees space as workers take messages, so the disk is filled again and again.
    disk_full = threading.Event()

    def keep_full() -> None:
        while not disk_full.wait(0.05):
            small_disk.fill()

    filler = threading.Thread(target=keep_full, daemon=True)
    try:
        redis_server.stop()
        small_disk.fill()
        filler.start()
        during: dict[str, list[int]] = {}
        for stack in (redis_stack, fs_stack):
            ids = during.setdefault(stack.name, [])
            for _ in range(2):
                response = stack.request_run(stack.label("broker"), 1.0)
                # The run is stored and answered as queued; its message goes out when the broker is back.
                assert response.status_code == 202, f"{stack.name}: {response.status_code} {response.text[:300]}"
                assert response.json()["status"] == "queued"
                ids.append(int(response.json()["id"]))
        for stack in (redis_stack, fs_stack):
            ready = requests.get(stack.url("/readyz/"), timeout=20)
            assert ready.status_code == 503 and "broker" in ready.json()["status"], ready.text
        # The download cannot be stored on the full disk: it is served all the same, whole.
        during_download = requests.get(fs_stack.url(f"/experiments/runs/{download}/result.json"), timeout=20)
        assert during_download.status_code == 200, during_download.text[:300]
        assert during_download.json()["result"]["label"].startswith("download-")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        # Nothing could take Redis's runs meanwhile.
        waiting = [redis_stack.run(i) for i in during["redis"]]
        assert all(r is not None and r.status == "queued" for r in waiting), waiting
    finally:
        disk_full.set()
        if filler.is_alive():
            filler.join()
        redis_server.start()
        small_disk.free()
    back_at = time.monotonic()
    # No truncated copy was left behind to be served from now on.
    after = requests.get(fs_stack.url(f"/experiments/runs/{download}/result.json"), timeout=20)
    assert after.status_code == 200 and after.json() == during_download.json()
    for stack in (redis_stack, fs_stack):
        stack.wait_finished("broker-", timeout=150)
        report(f"broker outage ({stack.name}, {OUTAGE_S} s): every run done {time.monotonic() - back_at:.0f} s after")
        assert_computed_exactly_once(stack, "broker-")
        assert_workers_back(stack)
        assert_no_bad_answers(traffic[stack.name], began)
        report(f"  answers during and after ({stack.name}): {summary(traffic[stack.name].since(began))}")


# --- Database outage -----------------------------------------------------------------------------------


def test_runs_survive_the_database_stopping_for_30_s_and_a_long_run_is_computed_once(
    redis_stack: Stack, fs_stack: Stack, postgres: Postgres, traffic: dict[str, Traffic]
) -> None:
    began = time.monotonic()
    long_runs = {}
    for stack in (redis_stack, fs_stack):
        long_runs[stack.name] = stack.start_run(stack.label("db-long"), duration_s=45.0)
        for _ in range(3):
            stack.start_run(stack.label("db"), duration_s=2.0)
    for stack in (redis_stack, fs_stack):
        wait_until(
            lambda stack=stack: (r := stack.run(long_runs[stack.name])) and r.status == "running",
            timeout=60,
            what="the long run to start",
        )
    postgres.stop("fast")
    down_at = time.monotonic()
    try:
        time.sleep(3)
        for stack in (redis_stack, fs_stack):
            response = requests.get(stack.url("/api/v1/runs/"), timeout=20)
            assert response.status_code == 503 and response.headers.get("Retry-After"), response.text[:300]
            page = requests.get(stack.url("/experiments/"), timeout=20)
            assert page.status_code == 503 and "Traceback" not in page.text, page.text[:300]
            ready = requests.get(stack.url("/readyz/"), timeout=20)
            assert ready.status_code == 503 and "database" in ready.text, ready.text
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
    finally:
        postgres.start()
    back_at = time.monotonic()
    for stack in (redis_stack, fs_stack):
        stack.wait_finished("db", timeout=240)
        report(f"database outage ({stack.name}, {OUTAGE_S} s): every run done {time.monotonic() - back_at:.0f} s after")
        assert_computed_exactly_once(stack, "db")
        long = stack.run(long_runs[stack.name])
        assert long is not None and long.attempts == 1, f"{stack.name}: the long run was claimed again: {long}"
        assert_workers_back(stack)
        assert_no_bad_answers(traffic[stack.name], began)
        report(f"  answers during and after ({stack.name}): {summary(traffic[stack.name].since(began))}")


# --- Redis hung -------------------------------------------------------------------------------------------


def test_a_hung_redis_slows_nothing_and_blocks_no_worker(
    redis_stack: Stack, redis_server: Redis, traffic: dict[str, Traffic]
) -> None:
    began = time.monotonic()
    run_id = redis_stack.start_run(redis_stack.label("hung"), duration_s=8.0)
    wait_until(lambda: (r := redis_stack.run(run_id)) and r.status == "running", timeout=60, what="the run to start")
    redis_server.pause()
    try:
        time.sleep(2)
        read = requests.get(redis_stack.url("/api/v1/runs/?page_size=5"), timeout=30)
        assert read.status_code == 200, read.text[:300]
        write = redis_stack.request_run(redis_stack.label("hung"), 0.5)
        assert write.status_code in (202, 503), write.text[:300]
        time.sleep(13)
    finally:
        redis_server.resume()
    # The run in progress finished meanwhile, and the workers take new work.
    after = redis_stack.start_run(redis_stack.label("hung"), duration_s=0.5)
    redis_stack.wait_finished("hung-", timeout=120)
    assert redis_stack.run(after) is not None
    assert_computed_exactly_once(redis_stack, "hung-")
    assert_workers_back(redis_stack)
    answers = traffic["redis"].since(began)
    assert_no_bad_answers(traffic["redis"], began)
    report(f"Redis hung 15 s: answers {summary(answers)}")


# --- A quiet PostgreSQL restart ---------------------------------------------------------------------------


def test_requests_right_after_a_postgresql_restart_all_succeed(
    redis_stack: Stack, fs_stack: Stack, postgres: Postgres
) -> None:
    # Every gunicorn worker has a persistent connection that the restart breaks.
    for stack in (redis_stack, fs_stack):
        for _ in range(6):
            requests.get(stack.url("/api/v1/runs/?page_size=5"), timeout=20)
    postgres.restart("immediate")
    for stack in (redis_stack, fs_stack):
        statuses = [requests.get(stack.url("/api/v1/runs/?page_size=5"), timeout=20).status_code for _ in range(12)]
        statuses += [requests.get(stack.url("/experiments/"), timeout=20).status_code for _ in range(6)]
        assert set(statuses) == {200}, f"{stack.name}: {statuses}"


def test_no_request_was_answered_with_an_error_page_in_the_whole_run(traffic: dict[str, Traffic]) -> None:
    for stream in traffic.values():
        assert_no_bad_answers(stream, 0.0)
        requested = len(stream.requested)
        assert requested > 0
        report(f"traffic ({stream.stack.name}): {len(stream.answers)} requests, {requested} run requests")
