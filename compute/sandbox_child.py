"""Trusted bootstrap that runs inside the sandbox (see compute.sandbox).

It loads the author's module from the job directory, builds its typed config
from a preset and overrides, runs it on the CPU with a seeded context, and
writes the canonical result to the output directory. Progress goes to
standard output as ``LM-PROGRESS <fraction>`` lines.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path


def main(job_dir: str, out_dir: str) -> int:
    job = json.loads(Path(job_dir, "config.json").read_text())
    spec = importlib.util.spec_from_file_location("author_experiment", Path(job_dir, "experiment.py"))
    if spec is None or spec.loader is None:
        print("cannot load the experiment module", file=sys.stderr)
        return 2
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    from compute.canonical import canonical_json, to_plain
    from compute.protocol import Context, ExperimentConfig

    config_cls = getattr(module, "Config", None)
    run = getattr(module, "run", None)
    presets = getattr(module, "PRESETS", {})
    if not (isinstance(config_cls, type) and issubclass(config_cls, ExperimentConfig)) or not callable(run):
        print("the module must define Config (an ExperimentConfig) and run(config, ctx)", file=sys.stderr)
        return 2
    values = dict(presets.get(job.get("preset") or "", {}))
    values.update(job.get("params") or {})
    try:
        config = config_cls(**values)
    except Exception as exc:  # pydantic's ValidationError, reported to the author
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 3

    import torch

    torch.manual_seed(config.seed)
    torch.set_num_threads(1)

    def progress(fraction: float, message: str) -> None:
        print(f"LM-PROGRESS {fraction:.4f} {message[:200]}", flush=True)

    ctx = Context(device=torch.device("cpu"), seed=config.seed, progress_fn=progress)
    result = to_plain(run(config, ctx))
    payload = canonical_json(result).encode()
    fd = os.open(Path(out_dir, "result.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
