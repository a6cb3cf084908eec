from __future__ import annotations

import pytest
from bokeh.embed import json_item

from compute.experiments.grokking import EXPERIMENT, fourier_purity
from compute.protocol import ConfigError
from tests.compute.conftest import SCIENCE_SEEDS, run_smoke


@pytest.fixture(scope="module", params=SCIENCE_SEEDS, ids=lambda s: f"seed{s}")
def smoke_outcome(request):
    return run_smoke(EXPERIMENT, request.param)


@pytest.mark.science
def test_test_accuracy_arrives_at_least_twice_as_late_as_perfect_training_accuracy(smoke_outcome):
    _, outcome = smoke_outcome
    metrics, series = outcome.result["metrics"], outcome.result["series"]
    verdict = EXPERIMENT.claim("delay").check(metrics)
    assert verdict.holds, verdict
    t_train, t_test = metrics["step_train_acc_1"], metrics["step_test_acc_0.9"]
    assert t_train is not None and t_test is not None
    assert metrics["grokking_delay_ratio"] == t_test / max(t_train, 1)
    # The recorded curves agree with the reported times (the curves are subsampled, so only one way round).
    assert all(acc < 0.9 for step, acc in zip(series["steps"], series["test_acc"], strict=True) if step < t_test)
    assert all(acc < 1.0 for step, acc in zip(series["steps"], series["train_acc"], strict=True) if step < t_train)


@pytest.mark.science
def test_the_network_ends_up_generalising(smoke_outcome):
    _, outcome = smoke_outcome
    verdict = EXPERIMENT.claim("generalises").check(outcome.result["metrics"])
    assert verdict.holds, verdict
    assert outcome.result["metrics"]["final_train_acc"] == 1.0


@pytest.mark.science
def test_hidden_neurons_concentrate_on_one_frequency(smoke_outcome):
    _, outcome = smoke_outcome
    metrics, series = outcome.result["metrics"], outcome.result["series"]
    for key in ("fourier", "fourier_is_learned"):
        verdict = EXPERIMENT.claim(key).check(metrics)
        assert verdict.holds, verdict
    # The headline number is the power-weighted mean of the per-neuron purities.
    weights = [n**2 for n in series["neuron_norm"]]
    recomputed = sum(w * q for w, q in zip(weights, series["neuron_purity"], strict=True)) / sum(weights)
    assert abs(recomputed - metrics["purity_final"]) < 1e-9


def test_purity_is_one_for_a_pure_cosine_neuron_and_small_for_noise():
    import math

    import torch

    p = 31
    j = torch.arange(p, dtype=torch.float64)
    row = torch.cat([torch.cos(2 * math.pi * 5 * j / p + 0.3), torch.sin(2 * math.pi * 5 * j / p)])
    pure, _, freq = fourier_purity(row[None, :], p)
    assert abs(pure - 1) < 1e-12 and int(freq[0]) == 5
    noise, _, _ = fourier_purity(torch.randn(256, 2 * p, generator=torch.Generator().manual_seed(1)), p)
    assert noise < 0.3


def test_a_composite_modulus_is_rejected():
    with pytest.raises(ConfigError) as excinfo:
        EXPERIMENT.validate({"modulus": 33})
    assert "modulus" in excinfo.value.errors


@pytest.mark.science
def test_the_figure_builds_from_the_stored_result(smoke_outcome):
    config, outcome = smoke_outcome
    item = json_item(EXPERIMENT.figure(outcome.result, config.model_dump()))
    assert item["doc"]["roots"]
