from __future__ import annotations

import pytest
from bokeh.embed import json_item

from compute.experiments.more_is_better import EXPERIMENT
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke_outcome(request):
    return run_smoke(EXPERIMENT, request.param)


@pytest.mark.science
def test_at_the_optimal_ridge_more_features_never_hurt(smoke_outcome):
    _, outcome = smoke_outcome
    errors = outcome.result["series"]["optimal_error"]
    verdict = EXPERIMENT.claim("never_hurt").check(outcome.result["metrics"])
    assert verdict.holds, verdict
    rises = [later / earlier - 1 for earlier, later in zip(errors, errors[1:], strict=False)]
    assert abs(max(rises) - outcome.result["metrics"]["max_relative_rise_optimal"]) < 1e-12
    # Not a flat line: many features do far better than few.
    assert errors[-1] < 0.5 * errors[0]


@pytest.mark.science
def test_the_optimal_ridge_error_approaches_the_kernel_limit(smoke_outcome):
    _, outcome = smoke_outcome
    series, metrics = outcome.result["series"], outcome.result["metrics"]
    gaps = [e - series["kernel_limit_error"] for e in series["optimal_error"]]
    verdict = EXPERIMENT.claim("kernel_limit").check(metrics)
    assert verdict.holds, verdict
    # The gap closes: at the most features it is a small fraction of the gap at the fewest.
    assert gaps[-1] < 0.05 * gaps[0]


@pytest.mark.science
def test_the_near_ridgeless_curve_peaks_where_features_equal_samples(smoke_outcome):
    config, outcome = smoke_outcome
    for key in ("peak_at_n", "peak_height"):
        verdict = EXPERIMENT.claim(key).check(outcome.result["metrics"])
        assert verdict.holds, verdict
    # The claimed numbers are those of the recorded curve.
    series = outcome.result["series"]
    curve = series["ridgeless_error"]
    peak = max(range(len(curve)), key=lambda i: curve[i])
    assert series["features"][peak] / config.train_size == outcome.result["metrics"]["ridgeless_peak_over_n"]
    assert min(curve[peak] / curve[0], curve[peak] / curve[-1]) == pytest.approx(
        EXPERIMENT.claim("peak_height").measure(outcome.result["metrics"])
    )


def test_an_absurd_number_of_features_in_the_list_is_rejected_naming_the_field():
    with pytest.raises(ConfigError) as excinfo:
        EXPERIMENT.validate({"features": [16, 10**9]})
    assert "features" in excinfo.value.errors


def test_a_feature_grid_that_never_crosses_the_sample_count_is_rejected():
    with pytest.raises(ConfigError):
        EXPERIMENT.validate({"train_size": 256, "features": [16, 32, 64, 128]})


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke_outcome):
    config, outcome = smoke_outcome
    item = json_item(EXPERIMENT.figure(outcome.result, config.model_dump()))
    assert item["doc"]["roots"]
