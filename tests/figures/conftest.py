"""Fixtures for figure tests: real deep_linear smoke results, computed once per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from apps.experiments.models import Experiment, Run, RunResult, RunStatus

INIT_SCALES = (0.001, 0.01)


@pytest.fixture(scope="session")
def deep_linear_outcomes() -> dict[float, Any]:
    """deep_linear's smoke preset at two initial scales, computed for real with compute.runner.execute."""
    from compute import registry
    from compute.runner import execute

    spec = registry.get("deep_linear")
    return {s: execute(spec, spec.validate({"init_scale": s}, preset="smoke")) for s in INIT_SCALES}


def _run_row(params: dict[str, Any], *, status: str, preset: str = "smoke", **fields: Any) -> Run:
    from apps.experiments.services import run_cache_key
    from compute import registry
    from compute.runner import canonical_config, code_hash, config_hash

    spec = registry.get("deep_linear")
    config = spec.validate(params, preset=preset)
    Experiment.objects.get_or_create(name=spec.name, defaults={"title": spec.title})
    c_hash, k_hash = config_hash(config), code_hash(spec)
    return Run.objects.create(
        experiment_id=spec.name,
        preset=preset,
        config=canonical_config(config),
        seed=config.seed,
        config_hash=c_hash,
        code_hash=k_hash,
        cache_key=run_cache_key(spec.name, c_hash, k_hash),
        status=status,
        **fields,
    )


@pytest.fixture
def finished_run(deep_linear_outcomes) -> Callable[..., Run]:
    """Make a succeeded deep_linear run (with its stored result) for one of INIT_SCALES."""

    def make(init_scale: float = INIT_SCALES[0]) -> Run:
        outcome = deep_linear_outcomes[init_scale]
        run = _run_row(
            {"init_scale": init_scale},
            status=RunStatus.SUCCEEDED,
            progress=1.0,
            message="done",
            digest=outcome.digest,
            provenance=outcome.provenance,
            finished_at=timezone.now(),
            attempts=1,
        )
        RunResult.objects.create(run=run, data=outcome.result)
        return run

    return make


@pytest.fixture
def make_run() -> Callable[..., Run]:
    """Make a deep_linear run row in any state, without a result."""

    def make(params: dict[str, Any], status: str, **fields: Any) -> Run:
        return _run_row(params, status=status, **fields)

    return make


@pytest.fixture(autouse=True)
def _broker_in_tmp(tmp_path, settings):
    """Send task messages to a filesystem broker in a temporary folder, so that tests can see them land."""
    from config.celery import app

    folders = {key: str(tmp_path / "broker" / key) for key in ("in", "out", "processed", "control")}
    old_url, old_options = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": folders["in"],
        "data_folder_out": folders["in"],
        "processed_folder": folders["processed"],
        "control_folder": folders["control"],
        "store_processed": False,
    }
    app.pool.force_close_all()
    yield tmp_path / "broker" / "in"
    app.pool.force_close_all()
    app.conf.broker_url, app.conf.broker_transport_options = old_url, old_options


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Figure items are cached by run id and digest; ids repeat across tests, so start each test empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
