from __future__ import annotations

from typing import Any

import pytest

from compute import registry
from compute.protocol import Cancelled, Claim, ConfigError, Context


def test_an_unknown_parameter_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("deep_linear").validate({"learning_rate": 0.1}, preset="smoke")
    assert "learning_rate" in info.value.errors


def test_an_out_of_bounds_parameter_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("deep_linear").validate({"steps": 10**9}, preset="smoke")
    assert list(info.value.errors) == ["steps"]


def test_an_unknown_preset_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("deep_linear").validate({}, preset="enormous")
    assert "preset" in info.value.errors


def test_overrides_apply_on_top_of_the_preset() -> None:
    config = registry.get("deep_linear").validate({"hidden": 300}, preset="full")
    assert config.hidden == 300
    assert config.steps == 15_000


def test_the_json_schema_carries_the_bounds() -> None:
    schema = registry.get("deep_linear").json_schema()
    assert schema["properties"]["steps"]["maximum"] == 200_000


def test_named_streams_are_independent_of_each_other_and_reproducible() -> None:
    ctx = Context(device=None, seed=3)
    a1 = ctx.numpy_rng("a").random(3).tolist()
    assert a1 == Context(device=None, seed=3).numpy_rng("a").random(3).tolist()
    assert a1 != ctx.numpy_rng("b").random(3).tolist()


def test_check_cancelled_raises_once_cancelled() -> None:
    flag = {"on": False}
    ctx = Context(device=None, seed=0, cancel_fn=lambda: flag["on"])
    ctx.check_cancelled()
    flag["on"] = True
    with pytest.raises(Cancelled):
        ctx.check_cancelled()


def _claim(**fields: Any) -> Claim:
    values: dict[str, Any] = {"key": "k", "text": "within {limit}", "metric": "gap", "op": "<", "limit": 0.05}
    values.update(fields)
    return Claim(**values)


def test_a_claim_holds_only_strictly_inside_its_bound() -> None:
    claim = _claim()
    assert claim.check({"gap": 0.04}).holds
    assert not claim.check({"gap": 0.05}).holds
    assert _claim(op="<=").check({"gap": 0.05}).holds


def test_a_claim_fails_when_its_number_is_missing_or_not_a_number() -> None:
    claim = _claim()
    assert not claim.check({}).holds
    assert not claim.check({"gap": None}).holds
    assert not claim.check({"gap": float("nan")}).holds


def test_an_absolute_claim_bounds_the_magnitude() -> None:
    claim = _claim(absolute=True, limit=0.15)
    assert claim.check({"gap": -0.1}).holds
    assert not claim.check({"gap": -0.2}).holds
    assert claim.quantity == "|gap|"


def test_an_interval_claim_includes_both_ends() -> None:
    claim = _claim(op="in", limit=(0.9, 1.1), text="slope in [{low}, {high}]")
    assert claim.check({"gap": 0.9}).holds and claim.check({"gap": 1.1}).holds
    assert not claim.check({"gap": 1.2}).holds
    assert claim.tolerance == "in [0.9, 1.1]"
    assert claim.statement == "slope in [0.9, 1.1]"


def test_a_derived_claim_measures_a_combination_of_metrics() -> None:
    claim = _claim(op=">", limit=2.0, metric="peak over end", derive=lambda m: m["peak"] / m["end"])
    verdict = claim.check({"peak": 9.0, "end": 3.0})
    assert verdict.holds and verdict.value == 3.0


def test_a_boolean_claim_must_be_true() -> None:
    claim = _claim(op="==", limit=True, text="in order")
    assert claim.check({"gap": True}).holds
    assert not claim.check({"gap": False}).holds
    assert claim.tolerance == "= true"


def test_the_claim_text_takes_its_number_from_the_limit() -> None:
    claim = _claim(text="within {limit:.0%} of theory")
    assert claim.statement == "within 5% of theory"
    assert claim.tolerance == "< 0.05"


def test_a_failing_verdict_says_what_was_measured_against_what() -> None:
    text = str(_claim(text="within {limit:.0%} of theory").check({"gap": 0.07}))
    assert "gap = 0.07" in text and "< 0.05" in text and "fails" in text and "within 5% of theory" in text


def test_a_malformed_claim_is_refused_when_it_is_defined() -> None:
    with pytest.raises(ValueError):
        _claim(op="in", limit=0.05)
    with pytest.raises(ValueError):
        _claim(op="<", limit=(0.0, 1.0))
    with pytest.raises(KeyError):
        _claim(text="within {tolerance}")


def test_an_experiment_names_its_claims_by_key() -> None:
    exp = registry.get("deep_linear")
    assert exp.claim("sigmoid").metric == "max_rel_error"
    with pytest.raises(KeyError):
        exp.claim("no such claim")
