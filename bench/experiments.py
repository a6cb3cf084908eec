"""Benchmark the reference experiments: smoke-preset wall time and peak memory, and the cost of an HVP.

Each registered experiment runs its ``smoke`` preset in a fresh Python
process (``python -m compute run NAME --preset smoke --quiet``), so that one
experiment's imports and caches do not flatter the next. The wall time is
measured around the child and the peak resident memory is the child's own
``ru_maxrss`` (from ``os.wait4``). Then one Hessian-vector product is timed
against one gradient on the edge-of-stability network at its smoke size,
repeated, and the median ratio printed. Last, the science tests (``pytest -m
science``: every claim at each of the seeds in ``tests/compute/conftest.py``)
run in one child process, and their total wall and CPU time are printed: what
the science costs CI. Measured, never asserted.

Usage: ``python bench/experiments.py [NAME ...] [--repeats N] [--skip-smoke] [--skip-science]``
(``make bench`` runs it).
Respects ``COMPUTE_THREADS`` (default 2 here, like the smoke budget).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measured_child(argv: list[str]) -> tuple[float, float, int, int, str]:
    """Run ``python ARGV`` in the project root; return (wall s, CPU s, peak RSS bytes, exit code, its output).

    The wall time is measured around the child; CPU time and peak resident memory are the child's own
    (``os.wait4``; ``ru_maxrss`` is in kilobytes on Linux).
    """
    env = dict(os.environ)
    env.setdefault("COMPUTE_THREADS", "2")
    env.setdefault("COMPUTE_DEVICE", "cpu")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, int(usage.ru_maxrss) * 1024, os.waitstatus_to_exitcode(status), output


def run_smoke(name: str) -> tuple[float, float, int, int, str]:
    """Run one smoke preset in a child process; return (wall s, CPU s, peak RSS bytes, exit code, summary line)."""
    wall, cpu, peak, code, output = measured_child(["-m", "compute", "run", name, "--preset", "smoke", "--quiet"])
    lines = [line for line in output.strip().splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith(f"{name}:")), lines[-1] if lines else "")
    return wall, cpu, peak, code, first


def science_suite() -> tuple[float, float, int, str]:
    """Run the science tests in one child process; return (wall s, CPU s, exit code, pytest's summary line)."""
    argv = ["-m", "pytest", "tests", "-m", "science", "-q", "-p", "no:cacheprovider"]
    wall, cpu, _, code, output = measured_child(argv)
    lines = [line.strip("= ") for line in output.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if " in " in line), lines[-1] if lines else "no output")
    return wall, cpu, code, summary


def hvp_over_grad(repeats: int) -> tuple[float, float, float]:
    """Median time of one gradient and one HVP on the EoS smoke network, and the median of their ratios."""
    import torch
    from sklearn.datasets import load_digits

    from compute.experiments import edge_of_stability as eos

    torch.set_num_threads(int(os.environ.get("COMPUTE_THREADS", "2")))
    config = eos.Config(**eos.PRESETS["smoke"])
    digits = load_digits()
    x = torch.tensor(digits.data[: config.n_train] / 16.0, dtype=torch.float64)
    y = torch.eye(10, dtype=torch.float64)[torch.tensor(digits.target[: config.n_train])]
    shapes = eos.layer_shapes(config)
    size = sum(torch.Size(s).numel() for s in shapes)
    gen = torch.Generator().manual_seed(0)
    theta = torch.randn(size, generator=gen, dtype=torch.float64) * 0.1
    vec = torch.randn(size, generator=gen, dtype=torch.float64)

    def loss_fn(t: torch.Tensor) -> torch.Tensor:
        return eos.square_loss(eos.forward(t, shapes, x), y)

    def grad_once() -> None:
        point = theta.detach().requires_grad_(True)
        torch.autograd.grad(loss_fn(point), point)

    def hvp_once() -> None:
        eos.hvp(loss_fn, theta, vec)

    def timed(fn: object, inner: int = 20) -> float:
        start = time.perf_counter()
        for _ in range(inner):
            fn()  # type: ignore[operator]
        return (time.perf_counter() - start) / inner

    for _ in range(5):
        grad_once()
        hvp_once()
    grads, hvps, ratios = [], [], []
    for _ in range(repeats):
        g = timed(grad_once)
        h = timed(hvp_once)
        grads.append(g)
        hvps.append(h)
        ratios.append(h / g)
    return statistics.median(grads), statistics.median(hvps), statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="experiments to run (default: every registered one)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats of the HVP timing")
    parser.add_argument("--skip-smoke", action="store_true", help="do not run the smoke presets")
    parser.add_argument("--skip-science", action="store_true", help="do not run the science tests")
    args = parser.parse_args(argv)

    from compute import registry

    names = args.names or list(registry.all_experiments())
    threads = os.environ.get("COMPUTE_THREADS", "2")
    if not args.skip_smoke:
        print(f"smoke presets, one fresh process each, COMPUTE_THREADS={threads}")
        # CPU time (user + system) is reported too: on a shared machine the wall time mostly measures the load.
        print(f"{'experiment':26s} {'wall s':>8s} {'CPU s':>8s} {'peak MiB':>9s}  status")
        for name in names:
            wall, cpu, peak, code, line = run_smoke(name)
            status = "ok" if code == 0 else f"exit {code}: {line[-60:]}"
            print(f"{name:26s} {wall:8.1f} {cpu:8.1f} {peak / 2**20:9.0f}  {status}", flush=True)
    grad_s, hvp_s, ratio = hvp_over_grad(args.repeats)
    print()
    print(f"Hessian-vector product against gradient, edge_of_stability smoke network (median of {args.repeats}):")
    print(f"  gradient {grad_s * 1e3:.2f} ms, HVP {hvp_s * 1e3:.2f} ms, ratio HVP/gradient {ratio:.2f}")
    if not args.skip_science:
        print()
        from tests.compute.conftest import SCIENCE_SEEDS

        wall, cpu, code, summary = science_suite()
        print(f"science tests, every claim at seeds {', '.join(map(str, SCIENCE_SEEDS))}: {summary}")
        print(f"  total: wall {wall:.0f} s, CPU {cpu:.0f} s (one process, COMPUTE_THREADS={threads}), exit {code}")
        return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
