from __future__ import annotations

import pytest

from compute.experiments.edge_of_stability import (
    EXPERIMENT,
    forward,
    hvp,
    settling,
    square_loss,
    top_eigenvalue,
)
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke(request):
    config, outcome = run_smoke(EXPERIMENT, request.param)
    return config, outcome.result


def _tiny_problem():
    import torch

    gen = torch.Generator().manual_seed(3)
    shapes = [(5, 4), (5,), (3, 5), (3,)]
    size = sum(torch.Size(s).numel() for s in shapes)
    theta = torch.randn(size, generator=gen, dtype=torch.float64)
    x = torch.randn(7, 4, generator=gen, dtype=torch.float64)
    y = torch.randn(7, 3, generator=gen, dtype=torch.float64)

    def loss_fn(t):
        return square_loss(forward(t, shapes, x), y)

    return theta, loss_fn, gen


def test_the_hessian_vector_product_equals_the_explicit_hessian_times_the_vector():
    import torch

    theta, loss_fn, gen = _tiny_problem()
    hessian = torch.autograd.functional.hessian(loss_fn, theta)
    vec = torch.randn(theta.numel(), generator=gen, dtype=torch.float64)
    assert torch.allclose(hvp(loss_fn, theta, vec), hessian @ vec, rtol=1e-10, atol=1e-12)


def test_power_iteration_finds_the_explicit_hessians_top_eigenvalue():
    import torch

    theta, loss_fn, gen = _tiny_problem()
    hessian = torch.autograd.functional.hessian(loss_fn, theta)
    eigenvalues = torch.linalg.eigvalsh(hessian)
    # Power iteration finds the eigenvalue largest in magnitude; here that is the top one.
    assert eigenvalues[-1] > abs(eigenvalues[0])
    start = torch.randn(theta.numel(), generator=gen, dtype=torch.float64)
    value, _ = top_eigenvalue(loss_fn, theta, start, iters=500)
    assert value == pytest.approx(float(eigenvalues[-1]), rel=1e-6)


def test_the_settling_window_mean_and_drift():
    steps = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    flat = [1.0] * 6 + [5.0] * 5
    settled, drift = settling(steps, flat, 100, 0.4)
    assert settled == pytest.approx(5.0)
    assert drift == pytest.approx(0.0)
    rising = [float(s) for s in steps]
    # Window 60..100: first half 60, 70 (mean 65), second half 80, 90, 100 (mean 90).
    settled, drift = settling(steps, rising, 100, 0.4)
    assert settled == pytest.approx(80.0)
    assert drift == pytest.approx(25.0)


@pytest.mark.science
def test_sharpness_rises_and_settles_at_two_over_lr(smoke):
    config, result = smoke
    for key in ("settles", "plateau", "rises"):
        verdict = EXPERIMENT.claim(key).check(result["metrics"])
        assert verdict.holds, verdict
    # The claimed numbers are those of the recorded sharpness curves.
    runs = result["series"]["runs"]
    assert len(config.eos_lrs) >= 2
    for lr in config.eos_lrs:
        data = runs[f"{lr:g}"]
        threshold = 2 / lr
        start = (1 - config.tail_fraction) * config.steps
        tail = [(s, v) for s, v in zip(data["sharpness_steps"], data["sharpness"], strict=True) if s >= start]
        settled = sum(v for _, v in tail) / len(tail)
        assert settled == pytest.approx(data["settled_sharpness"])
        assert abs(settled / threshold - 1) <= result["metrics"]["eos_max_rel_gap"] + 1e-12
        middle = (start + config.steps) / 2
        halves = [[v for s, v in tail if s < middle], [v for s, v in tail if s >= middle]]
        assert min(len(h) for h in halves) >= 3
        drift = sum(halves[1]) / len(halves[1]) - sum(halves[0]) / len(halves[0])
        assert drift == pytest.approx(data["tail_drift"])
        assert abs(drift) / threshold <= result["metrics"]["eos_max_tail_drift"] + 1e-12
        assert data["sharpness"][0] / threshold == pytest.approx(result["metrics"][f"initial_over_threshold_lr{lr:g}"])


@pytest.mark.science
def test_a_small_learning_rate_trained_as_long_stays_well_below_its_threshold(smoke):
    config, result = smoke
    verdict = EXPERIMENT.claim("small_lr").check(result["metrics"])
    assert verdict.holds, verdict
    data = result["series"]["runs"][f"{config.small_lr:g}"]
    assert data["steps"] * config.small_lr == pytest.approx(config.steps * max(config.eos_lrs), rel=1e-3)
    assert data["sharpness_steps"][-1] == data["steps"]
    assert max(data["sharpness"]) / (2 / config.small_lr) == pytest.approx(
        result["metrics"]["small_lr_max_over_threshold"]
    )


@pytest.mark.science
def test_training_still_makes_progress_at_the_edge_of_stability(smoke):
    config, result = smoke
    for lr in config.eos_lrs:
        loss = result["series"]["runs"][f"{lr:g}"]["loss"]
        assert loss[-1] < 0.2 * loss[0]


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke):
    from bokeh.embed import json_item

    config, result = smoke
    assert json_item(EXPERIMENT.figure(result, config.model_dump()))["doc"]["roots"]
