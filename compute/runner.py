"""Runs one experiment reproducibly and records its provenance."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import platform
import resource
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from compute.canonical import canonical_json, digest, to_plain
from compute.protocol import CancelCheck, Context, Experiment, ExperimentConfig, ProgressFn, Result

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    result: Result
    provenance: dict[str, Any]
    digest: str


@cache
def git_commit() -> str:
    """The checkout's commit, or CODE_VERSION from the environment, or ''."""
    if os.environ.get("CODE_VERSION"):
        return os.environ["CODE_VERSION"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def code_hash(experiment: Experiment) -> str:
    """Hash of the experiment's source and of the protocol code it runs under.

    Computed once per process and experiment module: the web process asks for
    it on every figure it resolves, and the code does not change under a
    running process (a deploy restarts it).
    """
    return _module_code_hash(experiment.module)


@cache
def _module_code_hash(module_name: str) -> str:
    import compute.canonical
    import compute.protocol
    import compute.runner

    h = hashlib.sha256()
    if module_name:
        # Imported here so that the cached hash never misses a module that was not loaded yet.
        h.update(inspect.getsource(importlib.import_module(module_name)).encode())
    for module in (compute.protocol, compute.canonical, compute.runner):
        h.update(inspect.getsource(module).encode())
    # Shared helpers (compute/experiments/_*.py) change results too; hashing
    # them all over-invalidates a little but never serves a stale result.
    for helper in sorted(Path(__file__).resolve().parent.joinpath("experiments").glob("_*.py")):
        h.update(helper.name.encode())
        h.update(helper.read_bytes())
    return h.hexdigest()[:16]


def config_hash(config: ExperimentConfig) -> str:
    return digest(config.model_dump(mode="json"))[:16]


def canonical_config(config: ExperimentConfig) -> dict[str, Any]:
    return to_plain(config.model_dump(mode="json"))


def pick_device(prefer: str | None = None) -> Any:
    import torch

    wanted = prefer or os.environ.get("COMPUTE_DEVICE", "")
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def configure_determinism(device: Any, seed: int) -> None:
    """Pin threads, seed every global generator and forbid TF32 and nondeterministic kernels."""
    import random

    import numpy as np
    import torch

    # One thread by default: the reference models are small, where extra
    # threads cost more than they give (measured several times slower at two
    # threads on a busy two-core machine), and one thread is deterministic
    # everywhere. GPU nodes do their work on the device anyway.
    threads = int(os.environ.get("COMPUTE_THREADS", "1"))
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)


def device_name(device: Any) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine() or "cpu"


def execute(
    experiment: Experiment,
    config: ExperimentConfig,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelCheck | None = None,
    device: Any = None,
) -> Outcome:
    """Run ``experiment`` on ``config`` and return its canonical result, provenance and digest."""
    import torch

    dev = device if device is not None else pick_device()
    configure_determinism(dev, config.seed)
    ctx = Context(
        device=dev,
        seed=config.seed,
        progress_fn=progress or (lambda f, m: None),
        cancel_fn=cancel or (lambda: False),
    )
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    raw = experiment.run(config, ctx)
    elapsed = time.perf_counter() - t0
    ended = datetime.now(UTC)
    result = to_plain(raw)
    canonical_json(result)  # fails loudly here, not in the database, on a bad result
    result_digest = digest(result)
    if dev.type == "cuda":
        peak = int(torch.cuda.max_memory_allocated(dev))
        peak_kind = "cuda_max_allocated"
    else:
        peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
        peak_kind = "process_max_rss"
    provenance = {
        "experiment": experiment.name,
        "git_commit": git_commit(),
        "code_hash": code_hash(experiment),
        "config": canonical_config(config),
        "config_hash": config_hash(config),
        "seed": config.seed,
        "device": str(dev),
        "device_name": device_name(dev),
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda or "",
        "python_version": platform.python_version(),
        "host": socket.gethostname(),
        "threads": torch.get_num_threads(),
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "duration_s": round(elapsed, 4),
        "peak_memory_bytes": peak,
        "peak_memory_kind": peak_kind,
        "result_digest": result_digest,
    }
    return Outcome(result=result, provenance=provenance, digest=result_digest)
