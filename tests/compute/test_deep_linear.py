from __future__ import annotations

import math

import pytest

from compute import registry
from compute.experiments import deep_linear
from compute.protocol import ConfigError
from compute.runner import execute
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


def test_the_closed_form_starts_at_u0_and_saturates_at_s() -> None:
    assert deep_linear.theory(2.0, 1e-3, 0.0) == pytest.approx(1e-3)
    assert deep_linear.theory(2.0, 1e-3, 50.0) == pytest.approx(2.0)


def test_the_closed_form_solves_the_logistic_equation() -> None:
    s, u0, t, h = 1.5, 1e-2, 2.0, 1e-6
    u = deep_linear.theory(s, u0, t)
    derivative = (deep_linear.theory(s, u0, t + h) - deep_linear.theory(s, u0, t - h)) / (2 * h)
    assert derivative == pytest.approx(2 * u * (s - u), rel=1e-6)


def test_half_time_interpolates_between_records() -> None:
    assert deep_linear.half_time([0.0, 1.0, 2.0], [0.0, 0.4, 0.6], 1.0) == pytest.approx(1.5)
    assert deep_linear.half_time([0.0, 1.0], [0.0, 0.1], 1.0) is None


def test_it_rejects_a_width_smaller_than_the_number_of_modes() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("deep_linear").validate({"hidden": 2}, preset="smoke")
    assert "at least the number of modes" in str(info.value)


def test_it_rejects_a_learning_rate_that_would_diverge() -> None:
    with pytest.raises(ConfigError):
        registry.get("deep_linear").validate({"singular_values": [9.0], "lr": 0.1}, preset="smoke")


def test_the_figure_has_a_theory_line_and_measured_markers_per_mode() -> None:
    exp = registry.get("deep_linear")
    config = exp.validate({"steps": 200, "records": 20}, preset="smoke")
    outcome = execute(exp, config)
    fig = exp.figure(outcome.result, {})
    tags = [tuple(r.tags) for r in fig.renderers]
    assert tags.count(("theory",)) == 4
    assert tags.count(("measured",)) == 4


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke(request):
    # The seed draws only the orthonormal bases of the target and hidden layer; the mode dynamics do not
    # depend on them, so every seed must give the same curves up to rounding.
    return run_smoke(registry.get("deep_linear"), request.param)


@pytest.mark.science
def test_every_mode_follows_the_sigmoid_and_modes_are_learned_in_order_of_strength(smoke) -> None:
    exp = registry.get("deep_linear")
    _, outcome = smoke
    metrics = outcome.result["metrics"]
    for key in ("sigmoid", "order"):
        verdict = exp.claim(key).check(metrics)
        assert verdict.holds, verdict
    # The headline deviation is the worst mode's.
    assert metrics["max_rel_error"] == max(metrics["max_abs_deviation_over_s"])
    halves = outcome.result["t_half_measured"]
    assert halves == sorted(halves)
    # Each mode ends learned: the network has found the target map.
    for a, s in enumerate(outcome.result["singular_values"]):
        assert outcome.result["measured"][a][-1] == pytest.approx(s, rel=0.02)
    assert math.isfinite(metrics["final_loss"])
