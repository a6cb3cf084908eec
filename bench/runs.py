"""Benchmark of the run machinery with the no-op experiment (measured, never asserted).

For each broker (the filesystem transport, and Redis when it is reachable) it
starts real workers on a temporary SQLite database and reports:

* latency from request to start: Run.started_at - Run.created_at;
* platform overhead per run: (finished_at - created_at) minus the
  experiment's own duration from its provenance, i.e. queueing, claiming,
  provenance and storage;
* throughput: runs per second with two workers draining a batch.

Usage: ``.venv/bin/python bench/runs.py [--runs 20] [--batch 40]``. Redis uses
database 5 (BENCH_REDIS_URL overrides).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
TIMEOUT_S = 300


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _child(broker: str, runs: int, batch: int) -> dict[str, Any]:
    """Runs inside a fresh process whose settings point at a temporary database and broker."""
    import django

    django.setup()
    from django.core.management import call_command

    from apps.core.requesters import PRECOMPUTE
    from apps.experiments.management.commands.runlocal import worker_command
    from apps.experiments.models import Run
    from apps.experiments.services import run_request
    from config.celery import ensure_broker_folders

    call_command("migrate", verbosity=0)
    ensure_broker_folders()
    log = open(os.environ["VAR_DIR"] + "/worker.log", "ab")  # noqa: SIM115 - closed at exit
    workers: list[subprocess.Popen[bytes]] = []

    def start_worker(name: str) -> None:
        workers.append(
            subprocess.Popen(
                worker_command(name=name), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )

    def wait(ids: list[int]) -> list[Run]:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            rows = list(Run.objects.filter(pk__in=ids))
            if all(r.is_finished for r in rows):
                return rows
            time.sleep(0.01)
        raise SystemExit(f"runs did not finish within {TIMEOUT_S} s; see {log.name}")

    def request(label: str) -> int:
        run, _ = run_request(requester=PRECOMPUTE, experiment="noop", params={"label": label})
        return run.pk

    try:
        start_worker("bench1")
        wait([request("warm-up")])  # the worker is up and has imported everything
        latencies, overheads = [], []
        for i in range(runs):
            (run,) = wait([request(f"seq-{i}")])
            assert run.status == "succeeded", run.error
            latencies.append((run.started_at - run.created_at).total_seconds())
            total = (run.finished_at - run.created_at).total_seconds()
            overheads.append(total - float(run.provenance["duration_s"]))
        start_worker("bench2")
        wait([request("warm-up-2")])
        began = time.perf_counter()
        ids = [request(f"batch-{i}") for i in range(batch)]
        rows = wait(ids)
        elapsed = time.perf_counter() - began
        ok = sum(1 for r in rows if r.status == "succeeded")
    finally:
        for w in workers:
            try:
                os.killpg(w.pid, signal.SIGTERM)
                w.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(w.pid, signal.SIGKILL)
    return {
        "broker": broker,
        "latency_median_ms": 1000 * statistics.median(latencies),
        "latency_p90_ms": 1000 * sorted(latencies)[int(0.9 * (len(latencies) - 1))],
        "overhead_median_ms": 1000 * statistics.median(overheads),
        "overhead_p90_ms": 1000 * sorted(overheads)[int(0.9 * (len(overheads) - 1))],
        "runs_per_s_two_workers": ok / elapsed,
        "batch": batch,
    }


def _run_child(broker: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-runs-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": tmp,
            "DJANGO_SQLITE_PATH": f"{tmp}/db.sqlite3",
            "DATABASE_URL": "",
            "COMPUTE_TEST_EXPERIMENTS": "1",
            "CELERY_BROKER_URL": "filesystem://" if broker == "filesystem" else REDIS_URL,
            "CELERY_BROKER_DIR": f"{tmp}/broker",
            "LOG_LEVEL": "WARNING",
            "COMPUTE_THREADS": "1",
        }
        if broker == "redis":
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        done = subprocess.run(
            [sys.executable, __file__, "--child", broker, "--runs", str(args.runs), "--batch", str(args.batch)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S * 3,
        )
        if done.returncode != 0:
            raise SystemExit(f"{broker} benchmark failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="sequential runs per broker")
    parser.add_argument("--batch", type=int, default=40, help="runs in the two-worker throughput batch")
    parser.add_argument("--child", choices=["filesystem", "redis"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_child(args.child, args.runs, args.batch)))
        return 0
    brokers = ["filesystem"] + (["redis"] if _reachable("127.0.0.1", 6379) else [])
    rows = [_run_child(b, args) for b in brokers]
    print(
        f"noop runs: {args.runs} sequential per broker, batch of {args.batch} with two workers "
        f"({os.cpu_count()} CPUs, SQLite)"
    )
    header = (
        f"{'broker':<11} {'request→start ms (p50/p90)':>27} {'overhead ms (p50/p90)':>23} {'runs/s, 2 workers':>18}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['broker']:<11} {r['latency_median_ms']:>15.0f} / {r['latency_p90_ms']:<9.0f}"
            f" {r['overhead_median_ms']:>11.0f} / {r['overhead_p90_ms']:<9.0f} {r['runs_per_s_two_workers']:>18.1f}"
        )
    if "redis" not in brokers:
        print("(Redis not reachable at 127.0.0.1:6379: skipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
