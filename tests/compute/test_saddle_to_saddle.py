from __future__ import annotations

import math

import pytest

from compute.experiments.saddle_to_saddle import EXPERIMENT, modes_not_approaching_one
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke(request):
    config, outcome = run_smoke(EXPERIMENT, request.param)
    return config, outcome.result


@pytest.mark.science
def test_loss_plateaus_at_half_the_unlearned_power_for_the_smallest_alpha(smoke):
    config, result = smoke
    s = config.singular_values
    run = result["series"]["runs"][f"{min(config.alphas):g}"]
    # One plateau between each pair of consecutive drops; the initial loss (before the first drop) is not one.
    assert len(run["plateaus"]) == len(s) - 1
    drops = run["predicted_drop_times"]
    for k, plateau in enumerate(run["plateaus"], start=1):
        assert drops[k - 1] < plateau["t"] < drops[k]
        expected = 0.5 * sum(x * x for x in s[k:])
        assert plateau["theory"] == pytest.approx(expected)
        assert (
            abs(plateau["measured"] - expected) / expected <= result["metrics"]["plateau_max_rel_error_smallest_alpha"]
        )
    verdict = EXPERIMENT.claim("plateaus").check(result["metrics"])
    assert verdict.holds, verdict


@pytest.mark.science
def test_rescaled_drop_times_approach_one_monotonically_as_alpha_shrinks(smoke):
    config, result = smoke
    assert config.alphas == [1e-2, 1e-4, 1e-8]
    # The leftover at alpha = 1e-8 is the O(1/s) term, ln(2 s_k) / (2 ln(1/alpha)) < 0.05 here.
    for key in ("towards_one", "ratio"):
        verdict = EXPERIMENT.claim(key).check(result["metrics"])
        assert verdict.holds, verdict
    # The claimed ratios are those of the recorded drop times.
    s = config.singular_values
    runs = result["series"]["runs"]
    for k, sk in enumerate(s):
        for alpha in config.alphas:
            t_k = runs[f"{alpha:g}"]["drop_times"][k]
            ratio = sk * t_k / math.log(1 / alpha)
            assert ratio == pytest.approx(result["series"]["ratios"][f"{alpha:g}"][k])
            assert ratio == pytest.approx(result["metrics"][f"ratio_alpha{alpha:g}_mode{k + 1}"])


@pytest.mark.science
def test_drop_times_match_the_logistic_solution_from_the_measured_initial_strength(smoke):
    _, result = smoke
    verdict = EXPERIMENT.claim("logistic").check(result["metrics"])
    assert verdict.holds, verdict


def test_repeated_singular_values_are_refused_naming_the_field():
    with pytest.raises(ConfigError) as info:
        EXPERIMENT.validate({"singular_values": [2.0, 2.0]})
    assert "singular_values" in info.value.errors


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke):
    from bokeh.embed import json_item

    config, result = smoke
    item = json_item(EXPERIMENT.figure(result, config.model_dump()))
    assert item["doc"]["roots"]


def test_a_mode_whose_ratio_does_not_move_towards_one_as_alpha_shrinks_is_counted():
    metrics = {
        "ratio_alpha0.01_mode1": 1.2,
        "ratio_alpha0.0001_mode1": 1.1,
        "ratio_alpha1e-08_mode1": 1.05,
        "ratio_alpha0.01_mode2": 1.1,
        "ratio_alpha0.0001_mode2": 1.15,
        "ratio_alpha1e-08_mode2": 1.04,
        "ratio_smallest_alpha_max_dev": 0.05,
    }
    assert modes_not_approaching_one(metrics) == 1
    # A missing ratio (a drop that never came) cannot count as approaching one.
    metrics["ratio_alpha0.0001_mode1"] = None
    assert modes_not_approaching_one(metrics) == 2
    assert modes_not_approaching_one({"ratio_alpha0.01_mode1": 1.0}) is None
