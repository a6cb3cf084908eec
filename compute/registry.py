"""Discovers experiments: every module in compute.experiments with an EXPERIMENT."""

from __future__ import annotations

import importlib
import os
import pkgutil
from functools import cache

from compute import experiments as _package
from compute.protocol import Experiment


class UnknownExperiment(KeyError):
    pass


@cache
def all_experiments() -> dict[str, Experiment]:
    found: dict[str, Experiment] = {}
    for info in pkgutil.iter_modules(_package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        exp = getattr(module, "EXPERIMENT", None)
        if isinstance(exp, Experiment):
            if exp.name in found:
                raise RuntimeError(f"two experiments are named {exp.name!r}")
            object.__setattr__(exp, "module", module.__name__)
            found[exp.name] = exp
    if os.environ.get("COMPUTE_TEST_EXPERIMENTS") == "1":
        # Test-only experiments (noop, sleepy, slow, failing) for the worker tests and benchmarks.
        from compute.testing_experiments import EXPERIMENTS

        for exp in EXPERIMENTS:
            found.setdefault(exp.name, exp)
    return dict(sorted(found.items()))


def get(name: str) -> Experiment:
    try:
        return all_experiments()[name]
    except KeyError:
        raise UnknownExperiment(f"no experiment named {name!r}") from None
