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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

Result = dict[str, Any]


class ExperimentConfig(BaseModel):
    """Base class of every experiment configuration.

    Unknown keys are errors (a typo must not silently run the default), and
    every experiment has a seed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0


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
