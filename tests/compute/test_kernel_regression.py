from __future__ import annotations

import pytest

from compute.experiments.kernel_regression import EXPERIMENT, eigenlearning_mse
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke(request):
    config, outcome = run_smoke(EXPERIMENT, request.param)
    return config, outcome.result


@pytest.mark.science
def test_measured_test_error_follows_the_eigenlearning_prediction(smoke):
    config, result = smoke
    # The claim is stated for the Laplace kernel; the preset must be what the claim names.
    assert config.kernel == "laplace"
    assert min(config.ridges) >= 1e-2
    assert max(config.sizes) <= 1797 // 8
    curves = result["series"]["curves"]
    assert len(curves) == len(config.ridges)
    worst = 0.0
    for curve in curves.values():
        for measured, theory in zip(curve["measured"], curve["theory"], strict=True):
            worst = max(worst, abs(measured - theory) / theory)
    assert worst == pytest.approx(result["metrics"]["max_rel_error"], rel=1e-9)
    verdict = EXPERIMENT.claim("eigenlearning").check(result["metrics"])
    assert verdict.holds, verdict


@pytest.mark.science
def test_learning_curves_fall_with_more_data(smoke):
    _, result = smoke
    for curve in result["series"]["curves"].values():
        assert all(b < a for a, b in zip(curve["measured"], curve["measured"][1:], strict=False))


def test_eigenlearning_predicts_the_whole_target_power_with_no_data_to_speak_of():
    import numpy as np

    lam = np.array([0.5, 0.3, 0.2])
    coeff = np.array([1.0, 2.0, 3.0])
    # With a huge ridge nothing is learned, so the error is the target's power.
    mse, _ = eigenlearning_mse(lam, coeff, 2, 1e6)
    assert mse == pytest.approx(coeff.sum(), rel=1e-4)


def test_an_oversized_training_set_is_refused_naming_the_field():
    with pytest.raises(ConfigError) as info:
        EXPERIMENT.validate({"sizes": [10, 10**9]})
    assert "sizes" in info.value.errors


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke):
    from bokeh.embed import json_item

    config, result = smoke
    item = json_item(EXPERIMENT.figure(result, config.model_dump()))
    assert item["doc"]["roots"]
