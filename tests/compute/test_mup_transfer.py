from __future__ import annotations

import pytest

from compute.experiments._numerics import loglog_slope, mean_and_sem
from compute.experiments.mup_transfer import EXPERIMENT, _optimum, mean_losses
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke(request):
    config, outcome = run_smoke(EXPERIMENT, request.param)
    return config, outcome.result


def _slope(result, kind):
    s = result["series"]
    widths = s["widths"]
    return loglog_slope(widths, [2.0 ** s["optimal_log2_lr"][kind][str(w)] for w in widths])


@pytest.mark.science
def test_the_optimal_learning_rate_drifts_down_with_width_under_sp(smoke):
    config, result = smoke
    assert len(config.widths) >= 3
    assert result["metrics"]["sp_optimum_at_grid_edge"] == 0
    verdict = EXPERIMENT.claim("sp_drifts").check(result["metrics"])
    assert verdict.holds, verdict
    assert _slope(result, "sp") == pytest.approx(result["metrics"]["sp_optimal_lr_slope"])


@pytest.mark.science
def test_the_optimal_learning_rate_stays_put_under_mup(smoke):
    _, result = smoke
    assert result["metrics"]["mup_optimum_at_grid_edge"] == 0
    verdict = EXPERIMENT.claim("mup_stays").check(result["metrics"])
    assert verdict.holds, verdict
    assert _slope(result, "mup") == pytest.approx(result["metrics"]["mup_optimal_lr_slope"])


@pytest.mark.science
def test_the_optima_were_fitted_from_the_stored_losses(smoke):
    _, result = smoke
    s = result["series"]
    for kind in ("sp", "mup"):
        for width in s["widths"]:
            per_draw = s["losses_per_draw"][kind][str(width)]
            assert len(per_draw) >= 2
            assert s["losses"][kind][str(width)] == pytest.approx(mean_losses(per_draw))
            fitted, at_edge = _optimum(s["log2_lrs"], s["losses"][kind][str(width)])
            assert not at_edge
            assert fitted == pytest.approx(s["optimal_log2_lr"][kind][str(width)])
            vertices = [_optimum(s["log2_lrs"], r)[0] for r in per_draw]
            sem = s["optimal_log2_lr_sem"][kind][s["widths"].index(width)]
            assert sem == pytest.approx(mean_and_sem(vertices)[1])


@pytest.mark.science
def test_the_coordinate_check_is_flat_under_mup_and_grows_under_sp(smoke):
    _, result = smoke
    for key in ("mup_hidden_steady", "sp_hidden_grows", "sp_logits_blow_up", "mup_logits_steady"):
        verdict = EXPERIMENT.claim(key).check(result["metrics"])
        assert verdict.holds, verdict
    # The claimed slopes are fits of the recorded coordinate check.
    check = result["series"]["coordinate_check"]
    widths = result["series"]["widths"]
    for kind in ("sp", "mup"):
        for what, metric in (("hidden", "hidden"), ("logits", "logit")):
            fitted = loglog_slope(widths, check[kind][what])
            assert fitted == pytest.approx(result["metrics"][f"{kind}_coord_{metric}_slope"])


@pytest.mark.science
def test_at_the_base_width_the_two_parameterisations_coincide(smoke):
    _, result = smoke
    base = str(min(result["series"]["widths"]))
    assert result["series"]["losses_per_draw"]["sp"][base] == result["series"]["losses_per_draw"]["mup"][base]


def test_the_parabola_vertex_is_found_between_grid_points():
    import math

    grid = [-6.0, -5.0, -4.0, -3.0, -2.0]
    losses = [math.exp((x + 3.6) ** 2) for x in grid]
    vertex, at_edge = _optimum(grid, losses)
    assert not at_edge
    assert vertex == pytest.approx(-3.6)


def test_an_enormous_width_in_the_list_is_refused_naming_the_field():
    with pytest.raises(ConfigError) as info:
        EXPERIMENT.validate({"widths": [32, 64, 10**9]})
    assert "widths" in info.value.errors


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke):
    from bokeh.embed import json_item

    config, result = smoke
    assert json_item(EXPERIMENT.figure(result, config.model_dump()))["doc"]["roots"]
