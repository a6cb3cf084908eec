from __future__ import annotations

import subprocess
import sys

from compute import registry
from compute.runner import execute

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
