"""The experiment protocol.

An experiment is a module in ``compute.experiments`` that defines one
``EXPERIMENT = Experiment(...)``: a name, a typed pydantic configuration with
bounds on every cost-driving parameter, named presets (``smoke`` for about a
minute on a two-core CPU, ``full`` for one GPU), a ``run(config, ctx)``
function returning a JSON-serialisable result, and a figure builder that turns
a stored result into a Bokeh figure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Result = dict[str, Any]


class ExperimentConfig(BaseModel):
    """Base class of every experiment configuration.

    Unknown keys are errors (a typo must not silently run the default), and
    every experiment has a seed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(
        0, title="Seed", description="Seed of every random stream of the run (initialisations, draws, data splits)."
    )


class Cancelled(Exception):
    """Raised inside an experiment when its run has been cancelled."""


class ConfigError(ValueError):
    """A configuration failed validation; ``errors`` maps field to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
        super().__init__(text)


ProgressFn = Callable[[float, str], None]
CancelCheck = Callable[[], bool]


@dataclass
class Context:
    """What an experiment may use from its environment.

    ``progress(fraction, message)`` reports progress in [0, 1];
    ``check_cancelled()`` raises :class:`Cancelled` when the run was cancelled.
    Generators come from :meth:`generator` and :meth:`numpy_rng`, seeded from
    the configuration's seed and a name, so that adding a new random stream
    does not shift the existing ones.
    """

    device: Any  # torch.device
    seed: int
    progress_fn: ProgressFn = field(default=lambda fraction, message: None)
    cancel_fn: CancelCheck = field(default=lambda: False)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("compute"))

    def progress(self, fraction: float, message: str = "") -> None:
        self.progress_fn(min(1.0, max(0.0, float(fraction))), message)

    def check_cancelled(self) -> None:
        if self.cancel_fn():
            raise Cancelled("the run was cancelled")

    def _stream_seed(self, name: str) -> int:
        import hashlib

        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)

    def generator(self, name: str = "default", device: Any = None) -> Any:
        """A torch.Generator for the named random stream (on CPU unless asked)."""
        import torch

        gen = torch.Generator(device=device or "cpu")
        gen.manual_seed(self._stream_seed(name))
        return gen

    def numpy_rng(self, name: str = "default") -> Any:
        import numpy as np

        return np.random.default_rng(self._stream_seed(name))


FigureBuilder = Callable[[Result, Mapping[str, Any]], Any]

Comparison = Literal["<", "<=", ">", ">=", "==", "in"]
Measured = float | bool | None

_OP_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "="}


def _plain(value: float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}"


@dataclass(frozen=True)
class Claim:
    """A scientific claim of an experiment, checked on a result as a bound on one measured number.

    The number is ``metrics[metric]``, or, for a claim about a combination of
    metrics, ``derive(metrics)``, in which case ``metric`` describes that
    combination. The claim holds when ``number <op> limit``; ``"in"`` takes a
    closed interval ``(low, high)``, and ``absolute`` compares the number's
    magnitude. ``text`` states the claim in words and may name the limit as
    ``{limit}``, ``{low}`` and ``{high}`` (with a format spec, e.g.
    ``{limit:.0%}``), so that each number lives in one place.
    """

    key: str
    text: str
    metric: str
    op: Comparison
    limit: float | tuple[float, float]
    absolute: bool = False
    derive: Callable[[Mapping[str, Any]], Measured] | None = None

    def __post_init__(self) -> None:
        if (self.op == "in") != isinstance(self.limit, tuple):
            raise ValueError(f"claim {self.key!r}: 'in' takes a (low, high) interval and only 'in' does")
        # Formatting here makes a text that names an unknown field fail when its module loads.
        if not self.statement:
            raise ValueError(f"claim {self.key!r} states nothing")

    @property
    def statement(self) -> str:
        """The claim in words, with its limits filled in."""
        if isinstance(self.limit, tuple):
            return self.text.format(low=self.limit[0], high=self.limit[1])
        return self.text.format(limit=self.limit)

    @property
    def quantity(self) -> str:
        """What is measured, as the tables print it."""
        return f"|{self.metric}|" if self.absolute else self.metric

    @property
    def tolerance(self) -> str:
        """The bound, as the tables print it (``< 0.05``, ``in [0.9, 1.1]``, ``= true``)."""
        if isinstance(self.limit, tuple):
            return f"in [{_plain(self.limit[0])}, {_plain(self.limit[1])}]"
        return f"{_OP_TEXT[self.op]} {_plain(self.limit)}"

    def measure(self, metrics: Mapping[str, Any]) -> Measured:
        """The claimed number in these metrics; None when it is missing."""
        value = self.derive(metrics) if self.derive is not None else metrics.get(self.metric)
        if value is None or isinstance(value, bool):
            return value
        return abs(float(value)) if self.absolute else float(value)

    def holds_for(self, value: Measured) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        if isinstance(self.limit, tuple):
            return self.op == "in" and self.limit[0] <= value <= self.limit[1]
        match self.op:
            case "<":
                return value < self.limit
            case "<=":
                return value <= self.limit
            case ">":
                return value > self.limit
            case ">=":
                return value >= self.limit
            case "==":
                return value == self.limit
        return False

    def check(self, metrics: Mapping[str, Any]) -> Verdict:
        """Measure the claimed number in ``metrics`` and say whether the claim holds."""
        value = self.measure(metrics)
        return Verdict(claim=self, value=value, holds=self.holds_for(value))


@dataclass(frozen=True)
class Verdict:
    """A claim measured on one result: the number and whether the claim holds (its text is the test message)."""

    claim: Claim
    value: Measured
    holds: bool

    def __str__(self) -> str:
        shown = "missing" if self.value is None else _plain(self.value)
        outcome = "holds" if self.holds else "fails"
        return f"{self.claim.quantity} = {shown}, claimed {self.claim.tolerance}: {outcome} ({self.claim.statement})"


@dataclass(frozen=True)
class Experiment:
    """A registered reference experiment."""

    name: str
    title: str
    summary: str
    citation: str
    config: type[ExperimentConfig]
    presets: Mapping[str, Mapping[str, Any]]
    run: Callable[[Any, Context], Result]
    figure: FigureBuilder
    # Metrics (keys of result["metrics"]) that state agreement with theory.
    agreement_metrics: tuple[str, ...] = ()
    # What the smoke preset must show; the science tests and docs/experiments.md read these.
    claims: tuple[Claim, ...] = ()
    # Relative tolerance within which two GPU runs of the same config agree.
    gpu_tolerance: float = 1e-6
    # Time limits for the worker, per preset size; the worker picks by preset
    # or falls back to "full".
    soft_time_limit_s: int = 1800
    hard_time_limit_s: int = 2100
    module: str = ""

    def validate(self, params: Mapping[str, Any] | None = None, *, preset: str | None = None) -> ExperimentConfig:
        """Build a config from a preset and overrides; raise ConfigError naming each bad field."""
        values: dict[str, Any] = {}
        if preset is not None:
            if preset not in self.presets:
                raise ConfigError({"preset": [f"unknown preset {preset!r}; choose from {sorted(self.presets)}"]})
            values.update(self.presets[preset])
        values.update(params or {})
        try:
            return self.config(**values)
        except ValidationError as exc:
            errors: dict[str, list[str]] = {}
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "__all__"
                errors.setdefault(key, []).append(err["msg"])
            raise ConfigError(errors) from None

    def json_schema(self) -> dict[str, Any]:
        return self.config.model_json_schema()

    def claim(self, key: str) -> Claim:
        """The claim with this key; KeyError naming the experiment when there is none."""
        for claim in self.claims:
            if claim.key == key:
                return claim
        raise KeyError(f"{self.name} makes no claim {key!r}")


def config_sizes(config: Mapping[str, Any]) -> dict[str, float]:
    """The numbers that say how big a run is: integer fields, and the length and largest entry of list fields.

    ``config`` is a canonical configuration (field -> value). The seed is no
    size, and neither is an interval between measurements (``*_every``),
    which a larger run may well shorten.
    """
    sizes: dict[str, float] = {}
    for name, value in config.items():
        if name == "seed" or name.endswith("_every") or isinstance(value, bool):
            continue
        if isinstance(value, int):
            sizes[name] = value
        elif isinstance(value, list) and value:
            sizes[f"len({name})"] = len(value)
            if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                sizes[f"max({name})"] = max(value)
    return sizes


def larger_than(config: Mapping[str, Any], reference: Mapping[str, Any]) -> list[str]:
    """The sizes (``config_sizes``) in which ``config`` exceeds ``reference``, e.g. ``["steps", "len(widths)"]``."""
    mine, theirs = config_sizes(config), config_sizes(reference)
    return [key for key, value in mine.items() if key not in theirs or value > theirs[key]]
