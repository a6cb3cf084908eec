from __future__ import annotations

import pytest

from compute.experiments._numerics import loglog_slope
from compute.experiments.scaling_laws import EXPERIMENT, theory_data, theory_features
from compute.protocol import ConfigError


@pytest.fixture(scope="module")
def smoke():
    import torch

    from compute.runner import execute

    config = EXPERIMENT.validate(preset="smoke")
    return config, execute(EXPERIMENT, config, device=torch.device("cpu")).result


@pytest.mark.science
def test_fitted_exponents_are_within_a_tenth_of_the_predicted_one(smoke):
    config, result = smoke
    s = result["series"]
    data_slope = loglog_slope(s["sizes"], s["data_loss"])
    feature_slope = loglog_slope(s["sizes"], s["feature_loss"])
    assert data_slope == pytest.approx(result["metrics"]["data_exponent"])
    assert feature_slope == pytest.approx(result["metrics"]["feature_exponent"])
    assert abs(data_slope + config.alpha) < 0.1
    assert abs(feature_slope + config.alpha) < 0.1


@pytest.mark.science
def test_every_point_is_within_fifteen_percent_of_the_theory_curve(smoke):
    _, result = smoke
    s = result["series"]
    for measured, theory in zip(
        s["data_loss"] + s["feature_loss"], s["theory_data"] + s["theory_features"], strict=True
    ):
        assert abs(measured - theory) / theory < 0.15


def test_with_no_noise_the_data_and_feature_theories_coincide():
    # Maloney, Roberts and Sully's duality: ridgeless and noiseless, n samples and p features are interchangeable.
    import numpy as np

    lam = np.arange(1, 501, dtype=float) ** -1.5
    assert theory_data(lam, lam, 20) == pytest.approx(theory_features(lam, lam, 20), rel=1e-8)


def test_sizes_beyond_a_quarter_of_the_dimension_are_refused():
    with pytest.raises(ConfigError):
        EXPERIMENT.validate({"dim": 100, "sizes": [10, 20, 50]})


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke):
    from bokeh.embed import json_item

    config, result = smoke
    assert json_item(EXPERIMENT.figure(result, config.model_dump()))["doc"]["roots"]
