"""A run is bounded as a whole by its cgroup: memory with the kernel memory it causes, processes, CPU.

Each attack is written to win: it returns ``leaked`` when it gets past the
bound it aims at, and raises with what stopped it otherwise. After every
run no process of the slot's user and no cgroup of its run may be left
(conftest's SandboxRun checks), and the run's cgroup must have measured a
peak under its limit.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from compute import sandbox
from compute.sandbox import Limits, Outcome
from tests.sandbox import SLOT
from tests.sandbox.conftest import LIMITS, SandboxRun

pytestmark = pytest.mark.sandbox

MIB = 1024**2
# Above what importing torch takes (about 160 MiB here), far below what the attacks reach unbounded.
SMALL = replace(LIMITS, run_memory_bytes=384 * MIB)


def assert_failed(outcome: Outcome, *reason_parts: str) -> None:
    assert not outcome.ok, f"the attack succeeded: {outcome.result}"
    text = outcome.reason + "\n" + outcome.stderr
    assert all(part in text for part in reason_parts), (outcome.reason, outcome.stderr[-800:])


def assert_peak_within(outcome: Outcome, limits: Limits) -> None:
    assert outcome.usage is not None
    peak = outcome.usage.memory_peak_bytes
    assert peak is not None and peak <= limits.run_memory_bytes, (peak, limits.run_memory_bytes)


def test_socket_buffers_count_against_the_runs_memory(sandbox_run: SandboxRun) -> None:
    # Unbounded, 400 loopback connections pin gigabytes of kernel memory
    # that no rlimit sees; the target is far above the run's whole limit.
    outcome = sandbox_run.attempt(
        """
        import socket
        def run(config, ctx):
            target = 600 * 2**20
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(512)
            held, pinned = [], 0
            while len(held) < 400 and pinned < target:
                client = socket.create_connection(server.getsockname())
                client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
                peer, _ = server.accept()
                peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
                client.setblocking(False)
                held.append((client, peer))
                while pinned < target:
                    try:
                        pinned += client.send(b"x" * 65536)
                    except BlockingIOError:
                        break
            if pinned >= target:
                return {"leaked": pinned}
            raise RuntimeError(f"socket buffers held only {pinned >> 20} MiB over {len(held)} connections")
        """,
        slot=SLOT,
        limits=replace(SMALL, open_files=1024),
    )
    assert_failed(outcome, "socket buffers held only", "it reached its memory limit of 384 MiB")
    assert_peak_within(outcome, SMALL)


def test_inodes_in_a_private_tmpfs_count_against_the_runs_memory(sandbox_run: SandboxRun) -> None:
    # With the tmpfs allowing a million inodes, 200,000 empty files would
    # pin their kernel memory; the cgroup counts it and stops the run.
    limits = replace(SMALL, disk_inodes=1_000_000)
    outcome = sandbox_run.attempt(
        """
        def run(config, ctx):
            made = 0
            try:
                while made < 200_000:
                    open(f"/tmp/f{made}", "w").close()
                    made += 1
            except OSError as exc:
                raise RuntimeError(f"stopped after {made} files: {exc}")
            return {"leaked": made}
        """,
        slot=SLOT,
        limits=limits,
    )
    assert_failed(outcome, "ran out of memory", "limit of 384 MiB", "kernel memory")
    assert outcome.usage is not None and outcome.usage.oom_kills >= 1
    assert_peak_within(outcome, limits)


@pytest.mark.parametrize("where", ["/tmp", "/dev/shm", "/sandbox/out"])
def test_each_private_tmpfs_runs_out_of_inodes_at_its_limit(sandbox_run: SandboxRun, where: str) -> None:
    outcome = sandbox_run.attempt(
        f"""
        def run(config, ctx):
            made = 0
            try:
                while made < 200_000:
                    open(f"{where}/f{{made}}", "w").close()
                    made += 1
            except OSError as exc:
                raise RuntimeError(f"stopped after {{made}} files: {{exc.strerror}}")
            return {{"leaked": made}}
        """,
        slot=SLOT,
        limits=SMALL,
    )
    # The file system's root directory takes one of the inodes.
    assert_failed(outcome, f"stopped after {SMALL.disk_inodes - 1} files: No space left on device")
    assert_peak_within(outcome, SMALL)


def test_a_fork_bomb_meets_the_runs_process_limit(sandbox_run: SandboxRun) -> None:
    limits = replace(SMALL, processes=24, wall_s=8)
    outcome = sandbox_run.attempt(
        """
        import os, time
        def run(config, ctx):
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.01)
        """,
        slot=SLOT,
        limits=limits,
    )
    assert_failed(outcome, "it reached its limit of 24 processes")
    assert outcome.usage is not None and outcome.usage.process_limit_hits > 0


def test_a_process_escaping_with_setsid_and_a_double_fork_dies_at_the_wall_limit(sandbox_run: SandboxRun) -> None:
    uid = sandbox.sandbox_user(SLOT).pw_uid
    seen: list[int] = []

    def count_processes(fraction: float, message: str) -> None:
        seen.append(len(sandbox.pids_of_uid(uid)))

    outcome = sandbox_run.attempt(
        """
        import os, signal, time
        def run(config, ctx):
            if os.fork() == 0:
                os.setsid()  # a session and process group of its own
                if os.fork() == 0:
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                    signal.signal(signal.SIGHUP, signal.SIG_IGN)
                    while True:
                        time.sleep(0.1)
                os._exit(0)  # the middle process goes: the escapee is an orphan
            time.sleep(0.5)
            ctx.progress(0.5, "escaped")
            while True:
                time.sleep(0.1)
        """,
        slot=SLOT,
        # Long enough for a loaded machine to start Python and torch before the escape.
        limits=replace(SMALL, wall_s=12),
        on_progress=count_processes,
    )
    assert_failed(outcome, "killed after the wall-clock limit of 12 s")
    # bubblewrap and its init, the experiment and the escapee at least were alive.
    assert seen and seen[0] >= 4, seen


def test_busy_processes_are_held_to_the_runs_cpu_share(sandbox_run: SandboxRun) -> None:
    outcome = sandbox_run.attempt(
        """
        import os, time
        def run(config, ctx):
            children = []
            for _ in range(2):
                pid = os.fork()
                if pid == 0:
                    end = time.monotonic() + 1.5
                    while time.monotonic() < end:
                        pass
                    os._exit(0)
                children.append(pid)
            for pid in children:
                os.waitpid(pid, 0)
            return {"done": 1.0}
        """,
        slot=SLOT,
        limits=replace(SMALL, cpus=0.25),
    )
    assert outcome.ok, (outcome.reason, outcome.stderr[-800:])
    assert outcome.usage is not None and outcome.usage.cpu_throttled_periods > 0


def test_a_result_nested_5000_deep_is_refused_with_its_depth(sandbox_run: SandboxRun) -> None:
    outcome = sandbox_run.attempt(
        """
        import atexit
        def deepen():
            with open("/sandbox/out/result.json", "w") as fh:
                fh.write('{"a": ' + "[" * 5000 + "]" * 5000 + "}")
        atexit.register(deepen)
        def run(config, ctx):
            return {"metrics": {"x": 1.0}}
        """,
        slot=SLOT,
    )
    assert_failed(outcome, "the result is nested 5001 levels deep; at most 4 are allowed")


def test_a_run_after_the_attacks_succeeds_and_reports_what_it_used(sandbox_run: SandboxRun) -> None:
    outcome = sandbox_run.attempt(
        """
        def run(config, ctx):
            return {"metrics": {"after": 1.0}}
        """,
        slot=SLOT,
        limits=SMALL,
    )
    assert outcome.ok and outcome.result == {"metrics": {"after": 1.0}}
    assert outcome.usage is not None
    assert outcome.usage.oom_kills == 0 and outcome.usage.process_limit_hits == 0
    assert outcome.usage.cpu_s is None or outcome.usage.cpu_s > 0
    assert_peak_within(outcome, SMALL)
