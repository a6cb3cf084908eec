"""How runs of each kind of experiment are planned, executed, drawn and checked.

apps.experiments owns every run; what differs between kinds of experiment is
kept behind one interface, ``Executor``, looked up by ``Experiment.kind``. The
reference executor (below) wraps compute's runner and is registered by this
app. Other apps register executors for their kinds when they load, the way
apps register with the admin: apps.submissions registers the sandboxed
executor of author experiments. This app imports nothing from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Q
from django.urls import reverse

from apps.accounts.models import User
from apps.core.requesters import Requester
from apps.experiments.models import Experiment, ExperimentKind, Run

if TYPE_CHECKING:
    from bokeh.model import Model as BokehModel

    from apps.experiments.leases import Lease
    from compute.protocol import Claim
    from compute.protocol import Experiment as ReferenceSpec


@dataclass(frozen=True)
class RunPlan:
    """What a request will compute: the canonical configuration and the hashes that key the cache."""

    config: dict[str, Any]
    seed: int
    config_hash: str
    code_hash: str


@dataclass(frozen=True)
class TimeLimits:
    """Seconds after which the worker stops a run (soft) and kills its process (hard)."""

    soft_s: int
    hard_s: int


@dataclass(frozen=True)
class Computed:
    """A finished computation: the canonical result, its provenance and the sha256 of the result."""

    result: dict[str, Any]
    provenance: dict[str, Any]
    digest: str


@dataclass(frozen=True)
class StatedClaims:
    """An experiment's claims and whether they are stated for this run's configuration (its smoke preset)."""

    claims: tuple[Claim, ...] = ()
    apply: bool = False


class BundleUnavailable(Exception):
    """A run cannot be offered as a reproduction bundle; the message says why (and what to do instead)."""


class RunFailed(Exception):
    """The computation failed for a reason the executor can state; recorded on the run as is."""

    def __init__(self, error: str, traceback: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.traceback = traceback


class Executor(Protocol):
    """Everything apps.experiments needs to know about one kind of experiment."""

    def plan(self, experiment: Experiment, params: Mapping[str, Any] | None, preset: str | None) -> RunPlan:
        """Validate a request's parameters; raise ValidationError naming each bad field."""
        ...

    def authorize(self, experiment: Experiment, requester: Requester) -> None:
        """Raise PermissionDenied when this requester may not run this experiment (beyond trust and quota)."""
        ...

    def within_starter(self, experiment: Experiment, plan: RunPlan) -> bool:
        """Whether this run is no larger than the experiment's smoke preset (a new member's starter run)."""
        ...

    def time_limits(self, run: Run) -> TimeLimits: ...

    def current_code_hash(self, run: Run) -> str:
        """The hash of the code that would compute ``run`` now (a queued run is re-keyed when it changed)."""
        ...

    def execute(self, run: Run, lease: Lease) -> Computed:
        """Compute a claimed run; raise RunFailed, or compute.protocol.Cancelled when ``lease`` says stop."""
        ...

    def figure(self, run: Run) -> BokehModel:
        """The Bokeh figure of a succeeded run, drawn by trusted code from its stored result."""
        ...

    def claims(self, run: Run) -> StatedClaims:
        """The scientific claims a run of this experiment is checked against, and whether they apply to ``run``."""
        ...

    def reproduction_bundle(self, run: Run) -> bytes:
        """A zip that reproduces ``run`` outside the site (compute/reproduce.py); raise BundleUnavailable if none."""
        ...

    def figure_version(self, run: Run) -> str:
        """What the drawing of ``run``'s figure depends on besides its result (the figure code or spec, now).

        Cached figures, plotted-data files and their validators carry it, so a
        restyled figure reaches readers as soon as the code changes.
        """
        ...

    def reproduces(self, original: Run, computed: Computed) -> bool:
        """Whether a reproduction's outcome agrees with the original run's stored result."""
        ...

    def experiment_url(self, experiment: Experiment) -> str:
        """Where people read about the experiment and its runs."""
        ...

    def visible_runs(self, user: User | AnonymousUser) -> Q:
        """A filter on Run selecting the runs of this kind ``user`` may see (pages, API, downloads alike)."""
        ...

    def may_read_source(self, run: Run, user: User | AnonymousUser) -> bool:
        """Whether ``user`` may see what reveals the experiment's source: tracebacks, error text, standard error."""
        ...


_EXECUTORS: dict[str, Executor] = {}


def register(kind: str, executor: Executor) -> None:
    """Make ``executor`` run every experiment of ``kind`` (called from an AppConfig.ready)."""
    _EXECUTORS[kind] = executor


def registered() -> dict[str, Executor]:
    """Every registered kind and its executor."""
    return dict(_EXECUTORS)


def executor_for(kind: str) -> Executor:
    try:
        return _EXECUTORS[kind]
    except KeyError:
        raise ImproperlyConfigured(f"No executor is registered for experiments of kind {kind!r}.") from None


class ReferenceExecutor:
    """Reference experiments: trusted modules in compute/experiments, run in the worker process."""

    @staticmethod
    def spec(name: str) -> ReferenceSpec:
        from compute import registry

        try:
            return registry.get(name)
        except registry.UnknownExperiment:
            raise ValidationError({"experiment": [f"There is no experiment named {name!r}."]}) from None

    def plan(self, experiment: Experiment, params: Mapping[str, Any] | None, preset: str | None) -> RunPlan:
        from compute.protocol import ConfigError
        from compute.runner import canonical_config, code_hash, config_hash

        spec = self.spec(experiment.name)
        if params is not None and not isinstance(params, Mapping):
            raise ValidationError({"params": ["Parameters must be an object of name: value pairs."]})
        try:
            config = spec.validate(params or {}, preset=preset)
        except ConfigError as exc:
            raise ValidationError(exc.errors) from None
        return RunPlan(
            config=canonical_config(config),
            seed=config.seed,
            config_hash=config_hash(config),
            code_hash=code_hash(spec),
        )

    def authorize(self, experiment: Experiment, requester: Requester) -> None:
        return None  # anyone past the run service's trust and quota checks

    def within_starter(self, experiment: Experiment, plan: RunPlan) -> bool:
        from compute.protocol import larger_than
        from compute.runner import canonical_config

        spec = self.spec(experiment.name)
        if "smoke" not in spec.presets:
            return False
        return not larger_than(plan.config, canonical_config(spec.validate(preset="smoke")))

    def time_limits(self, run: Run) -> TimeLimits:
        spec = self.spec(run.experiment_id)
        return TimeLimits(soft_s=spec.soft_time_limit_s, hard_s=spec.hard_time_limit_s)

    def current_code_hash(self, run: Run) -> str:
        from compute.runner import code_hash

        return code_hash(self.spec(run.experiment_id))

    def execute(self, run: Run, lease: Lease) -> Computed:
        from compute.runner import execute

        try:
            spec = self.spec(run.experiment_id)
            config = spec.validate(run.config)
        except Exception as exc:  # the code changed under a queued run
            raise RunFailed(f"Cannot run this configuration any more: {exc}") from None
        outcome = execute(spec, config, progress=lease.report, cancel=lease.stop_requested)
        return Computed(result=outcome.result, provenance=outcome.provenance, digest=outcome.digest)

    def figure(self, run: Run) -> BokehModel:
        return self.spec(run.experiment_id).figure(run.result.data, run.config)

    def figure_version(self, run: Run) -> str:
        return self.current_code_hash(run)  # the module's source, its figure builder and the plotting helpers

    def reproduction_bundle(self, run: Run) -> bytes:
        from compute.reproduce import build_bundle, run_record

        spec = self.spec(run.experiment_id)
        if self.current_code_hash(run) != run.code_hash:
            commit = run.provenance.get("git_commit", "")
            at = f" (it ran at commit {commit[:12]})" if commit else ""
            raise BundleUnavailable(
                f"The experiment's code has changed since this run{at}: a bundle of today's code would not "
                "reproduce it. Check out that commit and run `python -m compute run` with its configuration."
            )
        record = run_record(
            run=run.pk,
            experiment=run.experiment_id,
            module=spec.module,
            config=run.config,
            expected_digest=run.digest,
            code_hash=run.code_hash,
            tolerance=spec.gpu_tolerance,
            provenance=run.provenance,
            url=settings.SITE_URL + run.get_absolute_url(),
        )
        return build_bundle(record, run.result.data)

    def claims(self, run: Run) -> StatedClaims:
        from compute.runner import canonical_config

        spec = self.spec(run.experiment_id)
        smoke = canonical_config(spec.validate(preset="smoke")) if "smoke" in spec.presets else None
        return StatedClaims(claims=tuple(spec.claims), apply=run.config == smoke)

    def reproduces(self, original: Run, computed: Computed) -> bool:
        from compute.canonical import max_relative_difference

        if computed.digest == original.digest:
            return True
        devices = f"{computed.provenance.get('device', '')} {original.provenance.get('device', '')}"
        if "cuda" not in devices:
            return False  # on the CPU the result must be byte-identical
        tolerance = self.spec(original.experiment_id).gpu_tolerance
        return max_relative_difference(computed.result, original.result.data) <= tolerance

    def experiment_url(self, experiment: Experiment) -> str:
        return reverse("experiments:detail", args=[experiment.name])

    def visible_runs(self, user: User | AnonymousUser) -> Q:
        return Q()  # the site's own trusted code: every run is public

    def may_read_source(self, run: Run, user: User | AnonymousUser) -> bool:
        return True  # compute/ is public


def register_reference_executor() -> None:
    register(ExperimentKind.REFERENCE, ReferenceExecutor())
