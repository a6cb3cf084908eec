"""Reproduction anywhere: a run as a self-contained bundle, and the command that re-runs it.

A bundle is a zip file holding everything a run depends on: the experiment's
module and the code its result depends on (exactly the files its code hash
covers), the canonical configuration and seed, the package versions and
platform it ran on, the digest it produced and the tolerance within which a
run on another device agrees, and a README with one command. No database, no
site: only Python with torch, numpy and pydantic.

    python -m compute reproduce BUNDLE.zip    # from a checkout of the site
    python -m compute.reproduce               # inside an unpacked bundle

Both run the bundle's own code in a fresh process and report whether the
result's digest matched (it must, on a CPU) or, where a GPU was involved,
whether the result agrees within the stated relative tolerance. The exit code
is 0 when it matched or agreed, 1 when it differed, 2 when the bundle is
unusable.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"
# The result itself, kept only for a run that used a GPU: agreement within a tolerance needs the numbers.
RESULT_FILE = "expected_result.json"
PACKAGE_ROOT = Path(__file__).resolve().parent
# Besides the experiment's own module, what every experiment's result depends on (the code hash covers these).
SHARED = ("__init__.py", "protocol.py", "canonical.py", "runner.py", "reproduce.py", "experiments/__init__.py")
PINNED = ("torch", "numpy", "pydantic")


def bundle_files(module: str) -> dict[str, bytes]:
    """The files of the compute package a run of ``module`` needs, by their path inside the bundle."""
    files = {f"compute/{name}": (PACKAGE_ROOT / name).read_bytes() for name in SHARED}
    relative = module.removeprefix("compute.").replace(".", "/") + ".py"
    files[f"compute/{relative}"] = (PACKAGE_ROOT / relative).read_bytes()
    for helper in sorted((PACKAGE_ROOT / "experiments").glob("_*.py")):
        if helper.name != "__init__.py":
            files[f"compute/experiments/{helper.name}"] = helper.read_bytes()
    return files


def _readme(record: Mapping[str, Any]) -> str:
    return f"""# Reproduce run {record["run"]} of {record["experiment"]}

This folder holds everything the run depends on: the experiment's code
(`compute/`), its canonical configuration and seed (`{RUN_FILE}`), and what the
run produced: the sha256 of its canonical result, {record["expected_digest"]}.

With Python {record["python"]} and the packages of `requirements.txt`:

    python -m pip install -r requirements.txt
    python -m compute.reproduce

It re-runs the experiment on the CPU, with as many compute threads as the run
used ({record.get("threads", 1)}), and says whether the result's digest
matches ("matched"; on a CPU it must be byte-identical), or, when the run or
the reproduction used a GPU, whether every number agrees within a relative
{record["tolerance"]:g} ("agreed"). The run: {record["url"]}
"""


def build_bundle(record: Mapping[str, Any], result: Any = None) -> bytes:
    """A zip of the run described by ``record`` (see ``run_record``) with the code it needs and a README.

    ``result``, the run's result, is included when the run used a GPU (its
    reproduction on a CPU then agrees within the tolerance, not bit for bit).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path, data in bundle_files(record["module"]).items():
            bundle.writestr(path, data)
        bundle.writestr(RUN_FILE, json.dumps(record, indent=1, sort_keys=True))
        if result is not None and "cuda" in str(record.get("device", "")):
            bundle.writestr(RESULT_FILE, json.dumps(result))
        bundle.writestr("requirements.txt", "".join(f"{name}=={version}\n" for name, version in record["packages"]))
        bundle.writestr("README.md", _readme(record))
    return buffer.getvalue()


def run_record(
    *,
    run: int,
    experiment: str,
    module: str,
    config: Mapping[str, Any],
    expected_digest: str,
    code_hash: str,
    tolerance: float,
    provenance: Mapping[str, Any],
    url: str,
) -> dict[str, Any]:
    """What a bundle says about its run: identity, configuration, environment, expected outcome."""
    return {
        "run": run,
        "experiment": experiment,
        "module": module,
        "config": dict(config),
        "seed": config.get("seed", 0),
        "expected_digest": expected_digest,
        "code_hash": code_hash,
        "tolerance": tolerance,
        "device": provenance.get("device", ""),
        # Reductions split across threads add in another order: a CPU digest holds for one thread count.
        "threads": int(provenance.get("threads") or 1),
        "git_commit": provenance.get("git_commit", ""),
        "python": provenance.get("python_version", platform.python_version()),
        "platform": f"{platform.system()} {platform.machine()}",
        "packages": [(name, metadata.version(name)) for name in PINNED],
        "url": url,
    }


def _reproduce_here(record: Mapping[str, Any]) -> int:
    """Re-run the recorded experiment with the code on sys.path (the bundle's own) and say how it compares."""
    from compute.canonical import max_relative_difference
    from compute.protocol import Experiment
    from compute.runner import code_hash, execute

    module = importlib.import_module(record["module"])
    spec = getattr(module, "EXPERIMENT", None)
    if not isinstance(spec, Experiment):
        print(f"{record['module']} defines no experiment", file=sys.stderr)
        return 2
    object.__setattr__(spec, "module", module.__name__)
    if code_hash(spec) != record["code_hash"]:
        print(f"warning: this code hashes to {code_hash(spec)}, the run's to {record['code_hash']}", file=sys.stderr)
    threads = int(record.get("threads") or 1)
    os.environ["COMPUTE_THREADS"] = str(threads)  # what the run used, whatever this shell says
    print(
        f"re-running {record['experiment']} (run {record['run']}, seed {record['seed']}, {threads} thread(s)) ...",
        flush=True,
    )
    outcome = execute(spec, spec.validate(record["config"]))
    print(f"expected digest {record['expected_digest']}")
    print(f"obtained digest {outcome.digest}")
    if outcome.digest == record["expected_digest"]:
        print("matched: the result is byte-identical")
        return 0
    devices = f"{record.get('device', '')} {outcome.provenance.get('device', '')}"
    expected = json.loads(Path(RESULT_FILE).read_text()) if Path(RESULT_FILE).exists() else None
    if "cuda" in devices and expected is not None:
        difference = max_relative_difference(outcome.result, expected)
        if difference <= record["tolerance"]:
            print(f"agreed: the largest relative difference is {difference:.3g} (tolerance {record['tolerance']:g})")
            return 0
        print(f"differed: the largest relative difference is {difference:.3g} (tolerance {record['tolerance']:g})")
        return 1
    print("differed: on the CPU the result must be byte-identical")
    return 1


def reproduce_bundle(path: Path) -> int:
    """Unpack a bundle into a fresh folder and re-run it there with its own code, in a new process."""
    if not zipfile.is_zipfile(path):
        print(f"{path} is not a bundle (a zip file from a run page)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lm-reproduce-") as folder:
        with zipfile.ZipFile(path) as bundle:
            for name in bundle.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    print(f"{path} holds a file outside its folder: {name}", file=sys.stderr)
                    return 2
            bundle.extractall(folder)
        # A fresh process whose path starts at the bundle: its code, not this checkout's, runs.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        return subprocess.run([sys.executable, "-m", "compute.reproduce"], cwd=folder, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compute.reproduce", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", help="a bundle zip; without one, the unpacked bundle in this folder")
    args = parser.parse_args(argv)
    if args.bundle:
        return reproduce_bundle(Path(args.bundle))
    record_path = Path(RUN_FILE)
    if not record_path.exists():
        print(f"no {RUN_FILE} here: run this inside an unpacked bundle, or pass the bundle's zip", file=sys.stderr)
        return 2
    return _reproduce_here(json.loads(record_path.read_text()))


if __name__ == "__main__":
    raise SystemExit(main())
