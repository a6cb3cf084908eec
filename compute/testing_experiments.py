"""Experiments for tests and benchmarks of the run machinery, never shown on the site.

The registry includes them only when ``COMPUTE_TEST_EXPERIMENTS=1``:

* ``noop`` returns at once (benchmarks measure the platform's own overhead);
* ``sleepy`` sleeps in small steps, reporting progress and checking for
  cancellation (worker kill, lease and cancellation tests);
* ``slow`` is ``sleepy`` with a two-second soft time limit (time-limit tests);
* ``failing`` raises (failure recording tests);
* ``stubborn`` ignores its soft time limit, so the hard limit must stop it;
* ``ledger`` is ``sleepy`` that appends a line to the file named by
  ``COMPUTE_TEST_LEDGER`` when it starts and when it completes, so that the
  fault-injection suite (tests/faults/) can count how often each run was
  computed to completion.
"""

from __future__ import annotations

import os
import time
from typing import Any

from pydantic import Field

from compute.protocol import Context, Experiment, ExperimentConfig


class NoopConfig(ExperimentConfig):
    label: str = Field("x", max_length=40, description="Free text, so that requests can differ.")


class SleepyConfig(ExperimentConfig):
    duration_s: float = Field(2.0, ge=0.0, le=120.0, description="How long to sleep.")
    label: str = Field("x", max_length=40, description="Free text, so that requests can differ.")


class FailingConfig(ExperimentConfig):
    message: str = Field("deliberate failure", max_length=200, description="Text of the raised error.")


def _noop(config: NoopConfig, ctx: Context) -> dict[str, Any]:
    """Return a constant result immediately."""
    return {"label": config.label, "metrics": {"ok": True}}


def _sleepy(config: SleepyConfig, ctx: Context) -> dict[str, Any]:
    """Sleep for ``duration_s`` in 50 ms slices, reporting progress and honouring cancellation."""
    slices = max(1, int(config.duration_s / 0.05))
    for i in range(slices):
        ctx.check_cancelled()
        ctx.progress(i / slices, f"slice {i}/{slices}")
        time.sleep(config.duration_s / slices)
    return {"slices": slices, "label": config.label, "metrics": {"ok": True}}


def _append_to_ledger(line: str) -> None:
    path = os.environ.get("COMPUTE_TEST_LEDGER")
    if path:
        # One write in append mode: concurrent workers' lines never interleave.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, f"{line} {os.getpid()}\n".encode())
        finally:
            os.close(descriptor)


def _ledger(config: SleepyConfig, ctx: Context) -> dict[str, Any]:
    """``sleepy`` that records its start and its completion in the ledger file."""
    _append_to_ledger(f"start {config.label}")
    result = _sleepy(config, ctx)
    _append_to_ledger(f"done {config.label}")
    return result


def _failing(config: FailingConfig, ctx: Context) -> dict[str, Any]:
    """Raise a RuntimeError with the configured message."""
    raise RuntimeError(config.message)


def _stubborn(config: SleepyConfig, ctx: Context) -> dict[str, Any]:
    """Sleep for ``duration_s`` swallowing every exception, as badly written code might."""
    end = time.monotonic() + config.duration_s
    while time.monotonic() < end:
        try:
            time.sleep(0.05)
        except BaseException:  # noqa: B036 - deliberately deaf to the soft time limit
            pass
    return {"metrics": {"ok": True}}


def _no_figure(result: dict[str, Any], options: Any = None) -> Any:
    from compute.plotting import finish, new_figure

    return finish(new_figure("test experiment", "x", "y"))


def _make(name: str, config: type[ExperimentConfig], run: Any, **limits: int) -> Experiment:
    return Experiment(
        name=name,
        title=f"Test experiment {name}",
        summary="Used by the test suite and benchmarks only.",
        citation="",
        config=config,
        presets={"smoke": {}},
        run=run,
        figure=_no_figure,
        module=__name__,
        **limits,  # type: ignore[arg-type]
    )


EXPERIMENTS: tuple[Experiment, ...] = (
    _make("noop", NoopConfig, _noop, soft_time_limit_s=60, hard_time_limit_s=90),
    _make("sleepy", SleepyConfig, _sleepy, soft_time_limit_s=180, hard_time_limit_s=240),
    _make("slow", SleepyConfig, _sleepy, soft_time_limit_s=2, hard_time_limit_s=10),
    _make("failing", FailingConfig, _failing, soft_time_limit_s=60, hard_time_limit_s=90),
    _make("stubborn", SleepyConfig, _stubborn, soft_time_limit_s=1, hard_time_limit_s=3),
    _make("ledger", SleepyConfig, _ledger, soft_time_limit_s=180, hard_time_limit_s=240),
)
