from __future__ import annotations

import pytest

from compute.experiments._numerics import loglog_slope
from compute.experiments.scaling_laws import EXPERIMENT, theory_data, theory_features
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke(request):
    config, outcome = run_smoke(EXPERIMENT, request.param)
    return config, outcome.result


@pytest.mark.science
def test_fitted_exponents_are_close_to_the_predicted_one(smoke):
    config, result = smoke
    for key in ("data_exponent", "feature_exponent"):
        verdict = EXPERIMENT.claim(key).check(result["metrics"])
        assert verdict.holds, verdict
    # The claimed exponents are fits of the recorded curves, compared with -alpha.
    s = result["series"]
    for curve, name in (("data_loss", "data"), ("feature_loss", "feature")):
        slope = loglog_slope(s["sizes"], s[curve])
        assert slope == pytest.approx(result["metrics"][f"{name}_exponent"])
        assert abs(slope + config.alpha) == pytest.approx(result["metrics"][f"{name}_exponent_error"])


@pytest.mark.science
def test_every_point_is_close_to_the_theory_curve(smoke):
    _, result = smoke
    for key in ("data_curve", "feature_curve"):
        verdict = EXPERIMENT.claim(key).check(result["metrics"])
        assert verdict.holds, verdict
    s = result["series"]
    for curve, theory, metric in (
        ("data_loss", "theory_data", "data_max_rel_error"),
        ("feature_loss", "theory_features", "feature_max_rel_error"),
    ):
        worst = max(abs(m - t) / t for m, t in zip(s[curve], s[theory], strict=True))
        assert worst == pytest.approx(result["metrics"][metric])


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
