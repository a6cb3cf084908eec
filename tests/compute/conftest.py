"""Shared pieces of the science tests: the seeds every claim is asserted at, and one smoke run."""

from __future__ import annotations

from typing import Any

# Every scientific claim is asserted at each of these seeds (tests that are too expensive say so and use fewer).
SCIENCE_SEEDS = (0, 1, 2)


def run_smoke(experiment: Any, seed: int = 0, **overrides: Any) -> tuple[Any, Any]:
    """Run ``experiment``'s smoke preset at ``seed`` on the CPU; return (validated config, outcome)."""
    import torch

    from compute.runner import execute

    config = experiment.validate({"seed": seed, **overrides}, preset="smoke")
    return config, execute(experiment, config, device=torch.device("cpu"))
