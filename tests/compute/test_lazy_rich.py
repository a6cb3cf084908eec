from __future__ import annotations

import math

import pytest
from bokeh.embed import json_item

from compute.experiments._numerics import loglog_slope
from compute.experiments.lazy_rich import EXPERIMENT
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke_outcome(request):
    return run_smoke(EXPERIMENT, request.param)


@pytest.mark.science
def test_ntk_scaling_moves_the_weights_like_width_to_the_minus_half(smoke_outcome):
    _, outcome = smoke_outcome
    metrics, series = outcome.result["metrics"], outcome.result["series"]
    verdict = EXPERIMENT.claim("ntk_weights").check(metrics)
    assert verdict.holds, verdict
    assert math.isclose(
        loglog_slope(series["widths"], series["ntk"]["weight_change"]), metrics["ntk_weight_slope"], rel_tol=1e-9
    )


@pytest.mark.science
def test_the_ntk_kernel_moves_like_width_to_the_minus_one(smoke_outcome):
    _, outcome = smoke_outcome
    metrics, series = outcome.result["metrics"], outcome.result["series"]
    changes = series["ntk"]["kernel_change"]
    assert all(later < earlier for earlier, later in zip(changes, changes[1:], strict=False))
    verdict = EXPERIMENT.claim("ntk_kernel").check(metrics)
    assert verdict.holds, verdict
    assert math.isclose(loglog_slope(series["widths"], changes), metrics["ntk_kernel_slope"], rel_tol=1e-9)


@pytest.mark.science
def test_mean_field_scaling_keeps_weight_and_kernel_changes_of_order_one(smoke_outcome):
    _, outcome = smoke_outcome
    metrics, series = outcome.result["metrics"], outcome.result["series"]
    for key in ("meanfield_weights", "meanfield_kernel"):
        verdict = EXPERIMENT.claim(key).check(metrics)
        assert verdict.holds, verdict
    assert min(series["meanfield"]["weight_change"]) > 0.3
    assert metrics["meanfield_weight_change_widest"] > 10 * metrics["ntk_weight_change_widest"]


@pytest.mark.science
def test_both_parameterisations_actually_train(smoke_outcome):
    _, outcome = smoke_outcome
    metrics = outcome.result["metrics"]
    assert metrics["ntk_final_loss_widest"] < 0.6 * metrics["initial_loss"]
    assert metrics["meanfield_final_loss_widest"] < 0.6 * metrics["initial_loss"]


def test_an_absurd_width_in_the_list_is_rejected_naming_the_field():
    with pytest.raises(ConfigError) as excinfo:
        EXPERIMENT.validate({"widths": [64, 128, 256, 10**9]})
    assert "widths" in excinfo.value.errors


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke_outcome):
    config, outcome = smoke_outcome
    item = json_item(EXPERIMENT.figure(outcome.result, config.model_dump()))
    assert item["doc"]["roots"]
