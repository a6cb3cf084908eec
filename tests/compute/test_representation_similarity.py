from __future__ import annotations

import pytest
from bokeh.embed import json_item

from compute.experiments._numerics import loglog_slope
from compute.experiments.representation_similarity import EXPERIMENT, linear_cka
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke_outcome(request):
    return run_smoke(EXPERIMENT, request.param)


@pytest.mark.science
def test_cka_invariances_hold_on_trained_representations(smoke_outcome):
    _, outcome = smoke_outcome
    for key in ("invariance", "teeth"):
        verdict = EXPERIMENT.claim(key).check(outcome.result["metrics"])
        assert verdict.holds, verdict


@pytest.mark.science
def test_same_layer_similarity_across_seeds_grows_with_width(smoke_outcome):
    _, outcome = smoke_outcome
    series, metrics = outcome.result["series"], outcome.result["metrics"]
    verdict = EXPERIMENT.claim("grows").check(metrics)
    assert verdict.holds, verdict
    # The claimed numbers are those of the recorded curves, for every layer.
    assert len(series["cka"]) == 2
    for layer, values in series["cka"].items():
        assert all(b > a for a, b in zip(values, values[1:], strict=False))
        slope = loglog_slope(series["widths"], values)
        assert abs(slope - metrics[f"{layer}_cka_width_slope"]) < 1e-12


@pytest.mark.science
def test_training_makes_networks_from_different_seeds_more_alike_than_at_initialisation(smoke_outcome):
    _, outcome = smoke_outcome
    series, metrics = outcome.result["series"], outcome.result["metrics"]
    verdict = EXPERIMENT.claim("above_init").check(metrics)
    assert verdict.holds, verdict
    # The claimed gain is read off the recorded trained and initial curves of the same pairs.
    gains = [
        trained - initial
        for layer in series["cka"]
        for trained, initial in zip(series["cka"][layer], series["cka_init"][layer], strict=True)
    ]
    assert min(gains) == pytest.approx(EXPERIMENT.claim("above_init").measure(metrics))
    # The baseline is a real one: at initialisation, networks are far from alike at the smallest width and grow
    # more alike with width, before any training.
    for initial in series["cka_init"].values():
        assert initial[0] < 0.5
        assert initial[-1] > initial[0]


@pytest.mark.science
def test_the_networks_learned_the_task(smoke_outcome):
    _, outcome = smoke_outcome
    assert outcome.result["metrics"]["min_test_accuracy"] > 0.7


def test_linear_cka_of_a_representation_with_itself_is_one_and_of_independent_noise_is_small():
    import torch

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(500, 20, generator=gen, dtype=torch.float64)
    y = torch.randn(500, 20, generator=gen, dtype=torch.float64)
    assert abs(linear_cka(x, x) - 1) < 1e-12
    assert linear_cka(x, y) < 0.1


def test_an_absurd_width_in_the_list_is_rejected_naming_the_field():
    with pytest.raises(ConfigError) as excinfo:
        EXPERIMENT.validate({"widths": [16, 10**9]})
    assert "widths" in excinfo.value.errors


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke_outcome):
    config, outcome = smoke_outcome
    item = json_item(EXPERIMENT.figure(outcome.result, config.model_dump()))
    assert item["doc"]["roots"]
