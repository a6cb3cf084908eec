from __future__ import annotations

import math

import pytest
from bokeh.embed import json_item

from compute.experiments._numerics import loglog_slope
from compute.experiments.gd_vs_flow import EXPERIMENT
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke_outcome(request):
    return run_smoke(EXPERIMENT, request.param)


@pytest.mark.science
def test_distance_to_the_flow_shrinks_linearly_in_the_learning_rate(smoke_outcome):
    _, outcome = smoke_outcome
    metrics, series = outcome.result["metrics"], outcome.result["series"]
    verdict = EXPERIMENT.claim("linear").check(metrics)
    assert verdict.holds, verdict
    # The reported slope is the fit of the reported final distances.
    assert math.isclose(
        loglog_slope(series["lrs"], series["final_param_distance"]), metrics["slope_param_distance"], rel_tol=1e-9
    )
    # Training did something: the flow reduced the loss substantially.
    assert metrics["flow_loss_final"] < 0.5 * metrics["flow_loss_initial"]


@pytest.mark.science
def test_the_gap_matches_the_first_order_backward_error_prediction(smoke_outcome):
    _, outcome = smoke_outcome
    series = outcome.result["series"]
    verdict = EXPERIMENT.claim("first_order").check(outcome.result["metrics"])
    assert verdict.holds, verdict
    smallest = series["final_param_distance"][-1] / series["first_order_prediction"][-1]
    assert smallest == pytest.approx(outcome.result["metrics"]["ratio_to_first_order_smallest_lr"])
    # Corrections are O(h^2): the relative mismatch is no larger at the smallest rate than at the largest.
    largest = series["final_param_distance"][0] / series["first_order_prediction"][0]
    assert abs(smallest - 1) <= abs(largest - 1) + 1e-9


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke_outcome):
    config, outcome = smoke_outcome
    item = json_item(EXPERIMENT.figure(outcome.result, config.model_dump()))
    assert item["doc"]["roots"]
