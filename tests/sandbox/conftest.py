"""What every sandbox test needs: a sandbox that can run here, and proof that a run leaves nothing behind.

Sandbox tests need root, bubblewrap, libseccomp's Python bindings and a
cgroup hierarchy with the memory, pids and cpu controllers. Elsewhere they
skip with the reason, except under CI=true, where a sandbox that cannot run
is a failure. They use slots 6 and 7 (a developer's worker uses the lower
ones): each test process takes its own (tests/sandbox/__init__.py), and a test
holds its slot for its whole length, so a test run in another checkout on
this machine never uses that slot's user meanwhile.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest

from compute import sandbox
from compute.sandbox import Limits, Outcome, run_sandboxed
from tests.sandbox import SLOT

HEADER = """
from compute.protocol import ExperimentConfig

class Config(ExperimentConfig):
    pass

PRESETS = {"smoke": {}}
"""

# Small bounds, so an attack meets them in seconds; generous wall time, as a
# loaded machine starts Python slowly.
LIMITS = Limits(
    wall_s=60,
    cpu_s=20,
    memory_bytes=2 * 1024**3,
    run_memory_bytes=1024**3,
    processes=48,
    file_bytes=8 * 1024**2,
    disk_bytes=16 * 1024**2,
    disk_inodes=4096,
    output_bytes=16 * 1024,
    result_bytes=256 * 1024,
    max_numbers=20_000,
)


def require_sandbox() -> None:
    """Skip (fail under CI) unless this machine can run the sandbox."""
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the sandbox must run under CI: {exc}")
        pytest.skip(str(exc))


def assert_nothing_left(slot: int, limits: Limits = LIMITS) -> None:
    """No process of the slot's user and no cgroup of the slot's run survive a run."""
    assert sandbox.pids_of_uid(sandbox.sandbox_user(slot).pw_uid) == [], "a sandbox process survived the run"
    assert sandbox.run_cgroup_paths(slot=slot, limits=limits) == [], "the run's cgroup was left behind"


def author_module(body: str) -> str:
    return HEADER + textwrap.dedent(body)


@dataclass(frozen=True)
class SandboxRun:
    def attempt(
        self,
        body: str,
        *,
        slot: int,
        limits: Limits = LIMITS,
        on_progress: Callable[[float, str], None] | None = None,
    ) -> Outcome:
        """Run an author module (a body under a standard header) and check that nothing of it is left."""
        outcome = run_sandboxed(
            author_module(body), {}, preset="smoke", slot=slot, limits=limits, on_progress=on_progress
        )
        assert_nothing_left(slot, limits)
        return outcome


@pytest.fixture(scope="session")
def sandbox_run() -> SandboxRun:
    require_sandbox()
    return SandboxRun()


@pytest.fixture(autouse=True)
def _slot_held(machine_lock: Callable[[str], AbstractContextManager[None]]) -> Iterator[None]:
    with machine_lock(f"sandbox-slot-{SLOT}"):
        yield
