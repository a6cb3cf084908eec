"""Every registered experiment's presets and bounds, checked the same way for all of them (no experiment is run)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from compute import registry
from compute.canonical import canonical_json
from compute.protocol import ConfigError, Experiment, ExperimentConfig, config_sizes, larger_than
from compute.runner import canonical_config, config_hash

EXPERIMENTS = registry.all_experiments()
PRESETS = [(name, preset) for name, exp in EXPERIMENTS.items() for preset in exp.presets]


def _past_bound(spec: dict[str, Any], key: str) -> Any:
    """The nearest value on the wrong side of the bound ``spec[key]``: the bound itself when it is exclusive."""
    bound = spec[key]
    if key.startswith("exclusive"):
        return bound
    upward = key == "maximum"
    if spec.get("type") == "integer":
        return bound + 1 if upward else bound - 1
    return math.nextafter(bound, math.inf if upward else -math.inf)


def _out_of_bounds_cases() -> list[Any]:
    """(experiment, field, value) for each side of each bound that the typed configs declare."""
    cases = []
    for name, exp in EXPERIMENTS.items():
        smoke = exp.validate(preset="smoke").model_dump()
        for field, spec in exp.json_schema()["properties"].items():
            for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
                if key in spec:
                    cases.append(pytest.param(name, field, _past_bound(spec, key), id=f"{name}-{field}-{key}"))
            if spec.get("type") == "array" and smoke[field]:
                if "maxItems" in spec:
                    too_long = [smoke[field][0]] * (spec["maxItems"] + 1)
                    cases.append(pytest.param(name, field, too_long, id=f"{name}-{field}-maxItems"))
                if spec.get("minItems", 0) > 0:
                    too_short = smoke[field][: spec["minItems"] - 1]
                    cases.append(pytest.param(name, field, too_short, id=f"{name}-{field}-minItems"))
    return cases


def _sizes(config: ExperimentConfig) -> dict[str, float]:
    return config_sizes(config.model_dump())


def test_experiments_are_registered() -> None:
    assert len(EXPERIMENTS) >= 11


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment_has_a_smoke_and_a_full_preset(name: str) -> None:
    assert {"smoke", "full"} <= set(EXPERIMENTS[name].presets)


@pytest.mark.parametrize(("name", "preset"), PRESETS)
def test_every_preset_validates_against_the_typed_config(name: str, preset: str) -> None:
    exp = EXPERIMENTS[name]
    config = exp.validate(preset=preset)
    assert isinstance(config, exp.config)
    # Every value the preset names is the value the config holds (nothing renamed or dropped).
    dumped = config.model_dump()
    for key, value in exp.presets[preset].items():
        assert dumped[key] == value or sorted(dumped[key]) == sorted(value), key


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_the_full_preset_is_at_least_as_large_as_smoke(name: str) -> None:
    exp: Experiment = EXPERIMENTS[name]
    smoke, full = _sizes(exp.validate(preset="smoke")), _sizes(exp.validate(preset="full"))
    smaller = {key: (smoke[key], full[key]) for key in smoke if full[key] < smoke[key]}
    assert not smaller, f"full is smaller than smoke in {smaller}"
    assert full != smoke


@pytest.mark.parametrize(("name", "field", "value"), _out_of_bounds_cases())
def test_a_value_just_past_a_bound_is_rejected_naming_the_field(name: str, field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        EXPERIMENTS[name].validate({field: value}, preset="smoke")
    assert field in info.value.errors


@pytest.mark.parametrize(("name", "preset"), PRESETS)
def test_the_canonical_config_round_trips(name: str, preset: str) -> None:
    exp = EXPERIMENTS[name]
    config = exp.validate(preset=preset)
    canonical = canonical_config(config)
    # Stored as canonical JSON and read back, it validates to the same config with the same hash.
    again = exp.validate(json.loads(canonical_json(canonical)))
    assert again == config
    assert canonical_config(again) == canonical
    assert config_hash(again) == config_hash(config)


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_the_full_preset_is_larger_than_smoke_and_smoke_is_not_larger_than_itself(name: str) -> None:
    exp: Experiment = EXPERIMENTS[name]
    smoke, full = exp.validate(preset="smoke").model_dump(), exp.validate(preset="full").model_dump()
    assert larger_than(smoke, smoke) == []
    assert larger_than(full, smoke), f"{name}: the full preset is no larger than smoke"
