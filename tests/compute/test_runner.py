from __future__ import annotations

import functools
import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from compute import registry
from compute.experiments import _numerics
from compute.protocol import Experiment, ExperimentConfig
from compute.runner import code_hash, execute

PROVENANCE_FIELDS = {
    "git_commit",
    "code_hash",
    "config",
    "config_hash",
    "seed",
    "device",
    "device_name",
    "torch_version",
    "cuda_version",
    "python_version",
    "host",
    "started_at",
    "ended_at",
    "peak_memory_bytes",
    "result_digest",
}


def _small(seed: int = 0):
    exp = registry.get("deep_linear")
    return exp, exp.validate({"steps": 300, "records": 20, "seed": seed}, preset="smoke")


def test_the_same_config_twice_on_cpu_gives_the_same_digest() -> None:
    exp, config = _small()
    first = execute(exp, config)
    second = execute(exp, config)
    assert first.digest == second.digest
    assert first.result == second.result


def test_a_different_seed_gives_a_different_result() -> None:
    exp, _ = _small()
    assert execute(exp, _small(0)[1]).digest != execute(exp, _small(1)[1]).digest


def test_provenance_records_code_config_seed_device_and_versions() -> None:
    exp, config = _small(seed=7)
    outcome = execute(exp, config)
    assert PROVENANCE_FIELDS <= set(outcome.provenance)
    assert outcome.provenance["seed"] == 7
    assert outcome.provenance["config"]["seed"] == 7
    assert outcome.provenance["result_digest"] == outcome.digest
    assert outcome.provenance["device"] == "cpu"


def test_progress_is_reported_between_zero_and_one() -> None:
    exp, config = _small()
    seen: list[float] = []
    execute(exp, config, progress=lambda fraction, message: seen.append(fraction))
    assert seen and all(0.0 <= f <= 1.0 for f in seen)
    assert seen[-1] == 1.0


def test_importing_the_registry_and_building_schemas_does_not_import_torch() -> None:
    code = (
        "import compute.registry as r, sys\n"
        "for e in r.all_experiments().values(): e.json_schema()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COMPUTE_TEST_EXPERIMENTS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr


_recording: list[list[str]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _recording and isinstance(args[0], str | Path):
        _recording[-1].append(str(Path(args[0]).resolve()))


@functools.cache
def _install_audit_hook() -> None:
    # Audit hooks cannot be removed; this one does nothing outside files_opened().
    sys.addaudithook(_audit)


@contextmanager
def files_opened() -> Iterator[list[str]]:
    """Every file this process opens inside the block, as the interpreter's own audit events report it."""
    _install_audit_hook()
    opened: list[str] = []
    _recording.append(opened)
    try:
        yield opened
    finally:
        _recording.pop()


@pytest.fixture
def probe_experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Experiment, Path]:
    """An experiment in a module of its own, never hashed before in this process."""
    name = f"probe_{uuid.uuid4().hex}"
    source = tmp_path / f"{name}.py"
    source.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    monkeypatch.setitem(sys.modules, name, module)  # forgotten again after the test
    experiment = Experiment(
        name=name,
        title="probe",
        summary="",
        citation="",
        config=ExperimentConfig,
        presets={"smoke": {}},
        run=lambda config, ctx: {},
        figure=lambda result, options: None,
        module=name,
    )
    return experiment, source


def test_the_code_hash_covers_the_experiment_module_and_the_shared_numerical_helpers(probe_experiment) -> None:
    experiment, source = probe_experiment
    with files_opened() as opened:
        code_hash(experiment)
    assert str(source.resolve()) in opened
    assert str(Path(_numerics.__file__).resolve()) in opened


def test_a_second_code_hash_of_the_same_experiment_reads_no_file(probe_experiment) -> None:
    experiment, source = probe_experiment
    first = code_hash(experiment)
    source.write_text("VALUE = 2\n")  # a re-read would see this and hash differently
    with files_opened() as opened:
        second = code_hash(experiment)
    assert opened == []
    assert second == first
