"""The supervisor's controls beyond containment: cancelling a run, and progress as it happens."""

from __future__ import annotations

import os
import textwrap
import time

import pytest

from compute import sandbox
from compute.sandbox import Limits, run_sandboxed
from tests.sandbox import SLOT
from tests.sandbox.conftest import assert_nothing_left

pytestmark = pytest.mark.sandbox

LIMITS = Limits(wall_s=60, cpu_s=30, memory_bytes=2 * 1024**3, processes=48)

HEADER = """
import time
from compute.protocol import ExperimentConfig

class Config(ExperimentConfig):
    pass

PRESETS = {"smoke": {}}
"""


@pytest.fixture(autouse=True, scope="module")
def _sandbox_available() -> None:
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the sandbox must run under CI: {exc}")
        pytest.skip(str(exc))


def _no_process_left() -> None:
    assert_nothing_left(SLOT, LIMITS)


def test_cancelling_kills_the_sandbox_long_before_the_wall_limit() -> None:
    body = HEADER + textwrap.dedent("""
        def run(config, ctx):
            ctx.progress(0.1, "started")
            time.sleep(120)
            return {"x": 1}
    """)
    seen: list[float] = []
    asked = {"at": None}

    def cancel() -> bool:
        # Cancel once the child has reported that it started.
        if seen and asked["at"] is None:
            asked["at"] = time.monotonic()
        return asked["at"] is not None

    outcome = run_sandboxed(
        body, {}, preset="smoke", slot=SLOT, limits=LIMITS, cancel=cancel, on_progress=lambda f, m: seen.append(f)
    )
    assert outcome.cancelled and not outcome.ok and outcome.reason == "cancelled"
    assert outcome.duration_s < LIMITS.wall_s
    _no_process_left()


def test_progress_arrives_while_the_child_runs_and_is_clamped() -> None:
    body = HEADER + textwrap.dedent("""
        def run(config, ctx):
            for i in range(3):
                ctx.progress((i + 1) / 3, f"step {i}")
            print("LM-PROGRESS 7.5 out of range")
            print("LM-PROGRESS nan")
            return {"x": 1}
    """)
    reports: list[tuple[float, str]] = []
    outcome = run_sandboxed(
        body, {}, preset="smoke", slot=SLOT, limits=LIMITS, on_progress=lambda f, m: reports.append((f, m))
    )
    assert outcome.ok, outcome.reason + outcome.stderr[-500:]
    assert [round(f, 3) for f, _ in reports] == [0.333, 0.667, 1.0, 1.0]
    assert reports[0][1] == "step 0"
    _no_process_left()
