from __future__ import annotations

import pytest

from compute import registry
from compute.protocol import Cancelled, ConfigError, Context


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
