"""Hostile author experiments are contained and reported as failed runs.

Each payload tries one attack. When the attack succeeds the payload returns a
result with ``leaked``; when it is stopped, the payload raises with the error
it met (or is killed), so the outcome's reason says what contained it. After
every run no process of the sandbox user and no cgroup of its run may be left.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from compute import sandbox
from compute.sandbox import Limits, run_sandboxed
from tests.sandbox import SLOT
from tests.sandbox.conftest import LIMITS as SHARED_LIMITS
from tests.sandbox.conftest import assert_nothing_left, author_module, require_sandbox

pytestmark = pytest.mark.sandbox

# Attacks that need the wall limit to stop them get a short one of their own.
LIMITS = replace(SHARED_LIMITS, cpu_s=8)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True, scope="module")
def _sandbox_available() -> None:
    require_sandbox()


def short_wall(seconds: float) -> Limits:
    return replace(LIMITS, wall_s=seconds)


def attempt(body: str, *, limits: Limits = LIMITS, **env: str) -> sandbox.Outcome:
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        outcome = run_sandboxed(author_module(body), {}, preset="smoke", slot=SLOT, limits=limits)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert_nothing_left(SLOT, limits)
    return outcome


def assert_contained(outcome: sandbox.Outcome, *reason_parts: str) -> None:
    assert not outcome.ok, f"the attack succeeded: {outcome.result}"
    assert outcome.result is None
    text = (outcome.reason + "\n" + outcome.stderr).lower()
    assert any(part.lower() in text for part in reason_parts), (outcome.reason, outcome.stderr[-600:])


def test_a_benign_experiment_succeeds() -> None:
    outcome = attempt("""
        def run(config, ctx):
            ctx.progress(0.5, "half way")
            return {"metrics": {"answer": 42.0}, "series": {"x": [1, 2, 3]}}
    """)
    assert outcome.ok, (outcome.reason, outcome.stderr)
    assert outcome.result == {"metrics": {"answer": 42.0}, "series": {"x": [1, 2, 3]}}
    assert outcome.progress == [0.5]


def test_a_fork_bomb_is_contained() -> None:
    outcome = attempt(
        limits=short_wall(10),
        body="""
        import os
        def run(config, ctx):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """,
    )
    assert_contained(outcome, "wall-clock", "cpu time", "killed")


def test_a_memory_bomb_runs_out_of_memory() -> None:
    outcome = attempt("""
        def run(config, ctx):
            hoard = []
            while True:
                hoard.append(bytearray(64 * 1024 * 1024))
    """)
    assert_contained(outcome, "out of memory")


def test_a_busy_loop_hits_a_limit() -> None:
    outcome = attempt("""
        def run(config, ctx):
            while True:
                pass
    """)
    assert_contained(outcome, "cpu time", "wall-clock")


def test_a_process_ignoring_sigterm_is_killed_at_the_wall_limit() -> None:
    outcome = attempt(
        """
        import signal, time
        def run(config, ctx):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                time.sleep(0.1)
    """,
        limits=short_wall(6),
    )
    assert_contained(outcome, "wall-clock limit of 6 s")


@pytest.mark.parametrize(
    "path",
    ["/etc/shadow", "/etc/passwd", f"{REPO}/config/settings.py", f"{REPO}/var/db.sqlite3", "/root/.bashrc"],
    ids=["shadow", "passwd", "django-settings", "database-file", "root-home"],
)
def test_host_files_cannot_be_read(path: str) -> None:
    outcome = attempt(f"""
        def run(config, ctx):
            with open({path!r}, "rb") as fh:
                data = fh.read(64)
            return {{"leaked": [float(b) for b in data]}}
    """)
    assert_contained(outcome, "No such file", "Permission denied")


def test_the_environment_holds_no_secret() -> None:
    outcome = attempt(
        """
        import os
        def run(config, ctx):
            if any("sekrit" in v for v in os.environ.values()) or "DJANGO_SECRET_KEY" in os.environ:
                return {"leaked": 1}
            raise RuntimeError("no secret visible: " + ",".join(sorted(os.environ)))
    """,
        DJANGO_SECRET_KEY="sekrit-value-that-must-not-leak",
        DATABASE_URL="postgres://sekrit@127.0.0.1/x",
    )
    assert_contained(outcome, "no secret visible")


@pytest.mark.parametrize(
    "host,port",
    [("127.0.0.1", 6379), ("127.0.0.1", 5432), ("192.0.2.1", 80)],
    ids=["redis", "postgresql", "outside-address"],
)
def test_no_network_connection_can_be_opened(host: str, port: int) -> None:
    outcome = attempt(f"""
        import socket
        def run(config, ctx):
            sock = socket.create_connection(({host!r}, {port}), timeout=2)
            sock.close()
            return {{"leaked": 1}}
    """)
    assert_contained(outcome, "unreachable", "refused", "timed out", "network")


@pytest.mark.parametrize(
    "path", ["/usr/lib/evil", "/sandbox/job/evil.py", "/sandbox/lib/compute/evil.py", "/evil", "/dev/evil"]
)
def test_nothing_outside_its_directory_can_be_written(path: str) -> None:
    outcome = attempt(f"""
        def run(config, ctx):
            with open({path!r}, "w") as fh:
                fh.write("x")
            return {{"leaked": 1}}
    """)
    assert_contained(outcome, "Read-only file system", "Permission denied", "No such file")


@pytest.mark.parametrize("where", ["/sandbox/out", "/tmp", "/dev/shm"])
def test_filling_the_disk_is_stopped(where: str) -> None:
    outcome = attempt(f"""
        def run(config, ctx):
            block = b"x" * (1024 * 1024)
            i = 0
            while True:
                with open(f"{where}/fill-{{i}}", "wb") as fh:
                    for _ in range(4):
                        fh.write(block)
                i += 1
    """)
    assert_contained(outcome, "No space left", "larger than")


def test_printing_gigabytes_keeps_only_a_capped_tail() -> None:
    outcome = attempt(
        limits=short_wall(10),
        body="""
        import sys
        def run(config, ctx):
            line = "y" * 65536
            while True:
                sys.stdout.write(line)
    """,
    )
    assert_contained(outcome, "wall-clock", "cpu time")
    assert len(outcome.stdout) <= LIMITS.output_bytes


def test_a_result_file_that_is_a_symlink_is_refused() -> None:
    outcome = attempt("""
        import atexit, os
        def swap():
            os.remove("/sandbox/out/result.json")
            os.symlink("/etc/passwd", "/sandbox/out/result.json")
        atexit.register(swap)
        def run(config, ctx):
            return {"metrics": {"x": 1.0}}
    """)
    assert_contained(outcome, "symbolic link")


def test_a_malformed_result_is_refused() -> None:
    outcome = attempt("""
        import atexit
        def spoil():
            with open("/sandbox/out/result.json", "w") as fh:
                fh.write("{not json")
        atexit.register(spoil)
        def run(config, ctx):
            return {"metrics": {"x": 1.0}}
    """)
    assert_contained(outcome, "not valid JSON")


def test_an_oversized_result_is_refused() -> None:
    outcome = attempt("""
        def run(config, ctx):
            return {"series": {"x": [0.123456789] * 100000}}
    """)
    assert_contained(outcome, "limit", "more than")


@pytest.mark.parametrize(
    "payload,needle",
    [("float('nan')", "only numbers"), ("'<script>'", "only numbers"), ("{'__proto__': 1}", "keys must")],
    ids=["nan", "string", "odd-key"],
)
def test_results_must_be_finite_numbers(payload: str, needle: str) -> None:
    outcome = attempt(f"""
        def run(config, ctx):
            return {{"metrics": {{"x": {payload}}}}}
    """)
    assert_contained(outcome, needle)


def test_importing_django_does_not_reach_the_database() -> None:
    outcome = attempt(f"""
        def run(config, ctx):
            import django
            from django.conf import settings
            settings.configure(DATABASES={{
                "default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {REPO + "/var/db.sqlite3"!r}}},
                "pg": {{"ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "USER": "postgres",
                        "HOST": "127.0.0.1", "PORT": "5432"}},
            }})
            django.setup()
            from django.db import connections
            found = []
            for alias in ("default", "pg"):
                try:
                    with connections[alias].cursor() as cur:
                        cur.execute("SELECT 1")
                        found.append(alias)
                except Exception as exc:
                    print("blocked", alias, exc)
            if found:
                return {{"leaked": len(found)}}
            raise RuntimeError("no database reachable")
    """)
    assert_contained(outcome, "no database reachable")


def test_the_supervisor_keeps_serving_after_hostile_runs() -> None:
    attempt(
        """
        def run(config, ctx):
            while True:
                pass
    """,
        limits=short_wall(3),
    )
    outcome = attempt("""
        def run(config, ctx):
            return {"metrics": {"after": 1.0}}
    """)
    assert outcome.ok and outcome.result == {"metrics": {"after": 1.0}}
