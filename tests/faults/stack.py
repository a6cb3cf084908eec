"""One deployment of the site for the fault-injection suite: web server, worker nodes, traffic and ledger.

A stack is what production runs on one broker: gunicorn (two workers) and two
Celery worker nodes, all pointed at the suite's own PostgreSQL (each stack its
own database) and at its broker (Redis, or the embedded broker under VAR_DIR).
The suite reads the truth straight from the database with psycopg, never
through the site's own code, and keeps requests coming the whole time.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from tests.faults.servers import Process, celery_worker, gunicorn, pool_children, spare_port, wait_until

LEDGER_EXPERIMENT = "ledger"


@dataclass(frozen=True)
class Answer:
    """One response the traffic got (status 0: no response at all)."""

    at: float
    method: str
    path: str
    status: int
    elapsed: float
    retry_after: str | None
    body: str


@dataclass
class RunRow:
    id: int
    label: str
    status: str
    attempts: int
    worker: str
    error: str
    message: str


@dataclass
class Stack:
    name: str
    env: dict[str, str]
    database_url: str
    token: str
    ledger: Path
    logs: Path
    web_port: int = 0
    web: Process | None = None
    nodes: dict[str, Process] = field(default_factory=dict)
    _labels: itertools.count[int] = field(default_factory=itertools.count)

    # --- processes ------------------------------------------------------------------------------

    def start(self, nodes: tuple[str, ...] = ("n1", "n2")) -> None:
        self.web_port = spare_port()
        self.web = gunicorn(self.env, self.web_port, self.logs / "gunicorn.log")
        for node in nodes:
            self.nodes[node] = celery_worker(self.env, node, self.logs / f"{node}.log")
        wait_until(lambda: self.live_workers() >= set(nodes), timeout=120, what=f"the {self.name} workers' heartbeats")

    def stop(self) -> None:
        from config.gunicorn import default_metrics_dir

        for node in self.nodes.values():
            node.kill_group()
        if self.web is not None:
            self.web.stop()
        shutil.rmtree(default_metrics_dir(Path(self.env["VAR_DIR"])), ignore_errors=True)

    def live_workers(self) -> set[str]:
        """Worker nodes (by short name) whose heartbeat is at most 20 s old."""
        rows = self.query(
            "SELECT name FROM experiments_workerheartbeat WHERE last_seen > now() - interval '20 seconds'",
            default=[],
        )
        return {str(name).split("@")[0] for (name,) in rows}

    def node_of(self, pid: int) -> str | None:
        """The worker node whose pool process (or main process) has ``pid``."""
        for name, node in self.nodes.items():
            if node.alive() and (pid == node.pid or pid in pool_children(node.pid)):
                return name
        return None

    def logs_tail(self) -> str:
        parts = [
            f"--- {path.name}\n{path.read_text(errors='replace')[-2500:]}" for path in sorted(self.logs.glob("*.log"))
        ]
        return "\n".join(parts)

    # --- the database, read directly ----------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = (), *, default: Any = None) -> Any:
        """Rows of ``sql`` on this stack's database; ``default`` while the database cannot be reached."""
        try:
            with psycopg.connect(self.database_url, connect_timeout=2, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
        except psycopg.OperationalError:
            if default is not None:
                return default
            raise

    def runs(self, prefix: str = "") -> list[RunRow]:
        rows = self.query(
            "SELECT id, config->>'label', status, attempts, worker, error, message FROM experiments_run "
            "WHERE experiment_id = %s AND config->>'label' LIKE %s ORDER BY id",
            (LEDGER_EXPERIMENT, prefix + "%"),
            default=[],
        )
        return [RunRow(*row) for row in rows]

    def run(self, run_id: int) -> RunRow | None:
        rows = self.query(
            "SELECT id, config->>'label', status, attempts, worker, error, message FROM experiments_run WHERE id = %s",
            (run_id,),
            default=[],
        )
        return RunRow(*rows[0]) if rows else None

    def completions(self) -> dict[str, int]:
        """How many times each label was computed to completion, from the ledger the experiment appends to."""
        counts: dict[str, int] = {}
        if self.ledger.exists():
            for line in self.ledger.read_text().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "done":
                    counts[parts[1]] = counts.get(parts[1], 0) + 1
        return counts

    # --- the web, through HTTP ------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def label(self, kind: str) -> str:
        return f"{kind}-{self.name}-{next(self._labels)}"

    def request_run(self, label: str, duration_s: float, timeout: float = 30) -> requests.Response:
        return requests.post(
            self.url("/api/v1/runs/"),
            json={
                "experiment": LEDGER_EXPERIMENT,
                "preset": "smoke",
                "params": {"duration_s": duration_s, "label": label},
            },
            headers={"Authorization": f"Token {self.token}"},
            timeout=timeout,
        )

    def start_run(self, label: str, duration_s: float) -> int:
        """Request a run (it must be accepted) and return its id."""
        response = self.request_run(label, duration_s)
        assert response.status_code == 202, f"{response.status_code}: {response.text[:500]}"
        return int(response.json()["id"])

    def wait_finished(self, prefix: str, *, timeout: float) -> list[RunRow]:
        """Wait until every ledger run whose label starts with ``prefix`` has finished; returns them."""

        def finished() -> list[RunRow] | None:
            rows = self.runs(prefix)
            return rows if rows and all(r.status in ("succeeded", "failed", "cancelled") for r in rows) else None

        try:
            return wait_until(
                finished, timeout=timeout, what=f"every {prefix}* run of {self.name} to finish", every=0.5
            )
        except AssertionError as exc:
            stuck = [r for r in self.runs(prefix) if r.status not in ("succeeded", "failed", "cancelled")]
            raise AssertionError(f"{exc}; unfinished: {stuck}\n{self.logs_tail()}") from None


class Traffic(threading.Thread):
    """Requests that keep coming, to pages and the API alike, reads and run requests, recorded one by one."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(name=f"traffic-{stack.name}", daemon=True)
        self.stack = stack
        self.answers: list[Answer] = []
        self.requested: list[str] = []
        self.halt = threading.Event()
        self._lock = threading.Lock()

    def since(self, moment: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.at >= moment]

    def _record(self, method: str, path: str, send: Any) -> requests.Response | None:
        began = time.monotonic()
        try:
            response = send()
        except requests.RequestException as exc:
            answer = Answer(began, method, path, 0, time.monotonic() - began, None, f"{type(exc).__name__}: {exc}")
            response = None
        else:
            answer = Answer(
                began,
                method,
                path,
                response.status_code,
                time.monotonic() - began,
                response.headers.get("Retry-After"),
                response.text[:400] if response.status_code >= 500 else "",
            )
        with self._lock:
            self.answers.append(answer)
        return response

    def run(self) -> None:
        stack = self.stack
        latest = 0
        for turn in itertools.count():
            if self.halt.wait(0.15):
                return
            if turn % 6 == 5:
                label = stack.label("traffic")
                self.requested.append(label)
                response = self._record(
                    "POST", "/api/v1/runs/", lambda label=label: stack.request_run(label, 0.3, timeout=40)
                )
                if response is not None and response.status_code in (200, 202):
                    latest = int(response.json()["id"])
                continue
            paths = ["/healthz/", "/api/v1/runs/?page_size=5", "/experiments/", "/api/v1/experiments/", "/"]
            if latest:
                paths += [
                    f"/api/v1/runs/{latest}/",
                    f"/experiments/runs/{latest}/",
                    f"/experiments/runs/{latest}/status.json",
                ]
            path = paths[turn % len(paths)]
            self._record("GET", path, lambda path=path: requests.get(stack.url(path), timeout=40))


def bad_answers(answers: list[Answer]) -> list[Answer]:
    """Answers no reader should ever get: a 5xx other than a 503 with Retry-After, or no answer at all."""
    return [a for a in answers if a.status == 0 or (a.status >= 500 and not (a.status == 503 and a.retry_after))]


def summary(answers: list[Answer]) -> str:
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer.status] = counts.get(answer.status, 0) + 1
    slowest = max(answers, key=lambda a: a.elapsed, default=None)
    longest = f"; slowest {slowest.elapsed:.1f} s ({slowest.method} {slowest.path})" if slowest else ""
    return ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) + longest
