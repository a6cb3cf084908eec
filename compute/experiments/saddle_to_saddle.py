"""Saddle-to-saddle dynamics of a linear network trained from vanishing initialisation.

Theory: A. Jacot, F. Ged, B. Simsek, C. Hongler and F. Gabriel (2021),
"Saddle-to-saddle dynamics in deep linear networks: small initialization
training, symmetry, and sparsity", arXiv:2106.15933; A. M. Saxe, J. L.
McClelland and S. Ganguli (2014), "Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks", arXiv:1312.6120; D. Kunin, J. B.
Simon et al. (2025) on alternating gradient flows (the same staircase in
shallow networks).

A two-layer linear network ``W2 @ W1`` (hidden width ``hidden``) learns a target
map ``S = U diag(s) V^T`` with distinct singular values, on whitened inputs, so
the loss is exactly ``1/2 ||W2 W1 - S||_F^2``. Both weight matrices start with
i.i.d. entries of standard deviation ``alpha / sqrt(hidden)`` and are trained by
full-batch gradient descent with a small learning rate; time is ``t = lr * step``.

Early on each mode grows like ``exp(s_k t)`` from strength about ``alpha``, so
its product strength ``u_k^T W2 W1 v_k`` reaches ``s_k / 2`` at
``t_k ~ ln(1/alpha) / s_k`` up to ``O(1/s_k)`` corrections that do not grow as
``alpha`` shrinks: ``s_k t_k / ln(1/alpha) -> 1``. Between drops the network
sits near a saddle where the learned modes are exact and the others are zero,
and the loss is ``1/2 sum_{j unlearned} s_j^2``. The refined prediction uses
the logistic solution of the balanced mode equation
``dp/dt = 2 p (s - p)`` from the measured initial strength
``p0 = |(W1 v_k + W2^T u_k) / 2|^2``: ``t_k = ln(s_k / p0 - 1) / (2 s_k)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from compute.experiments._numerics import subsample_indices
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    singular_values: list[float] = Field(
        default_factory=lambda: [3.0, 2.0, 1.0],
        min_length=2,
        max_length=8,
        title="Singular values sₖ",
        description="Distinct singular values sₖ of the target map, each in [0.2, 10].",
    )
    hidden: int = Field(
        64, ge=1, le=512, title="Hidden width", description="Hidden units (at least the number of singular values)."
    )
    alphas: list[float] = Field(
        default_factory=lambda: [1e-2, 1e-4, 1e-8],
        min_length=1,
        max_length=6,
        title="Initial scale α",
        description="Initialisation scales α (each weight's standard deviation times √width), each between "
        "10⁻¹² and 0.1.",
    )
    lr: float = Field(
        0.002,
        gt=0,
        le=0.05,
        title="Learning rate η",
        description="Gradient-descent step size η (time is t = η × step).",
    )
    extra_time: float = Field(
        1.4,
        ge=1.05,
        le=3.0,
        title="Training time",
        description="Train until this multiple of the slowest mode's predicted drop time, ln(1/α) over the "
        "smallest singular value.",
    )
    points: int = Field(
        400, ge=50, le=2000, title="Points kept", description="Points kept per loss curve in the stored result."
    )

    @field_validator("singular_values")
    @classmethod
    def _distinct(cls, value: list[float]) -> list[float]:
        if any(v < 0.2 or v > 10 for v in value):
            raise ValueError("each singular value must lie in [0.2, 10]")
        ordered = sorted(value, reverse=True)
        if any(a - b < 0.05 * a for a, b in zip(ordered, ordered[1:], strict=False)):
            raise ValueError("singular values must be distinct (at least 5% apart)")
        return ordered

    @field_validator("alphas")
    @classmethod
    def _alphas(cls, value: list[float]) -> list[float]:
        if any(a < 1e-12 or a > 0.1 for a in value):
            raise ValueError("each alpha must lie in [1e-12, 0.1]")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _budget(self) -> Config:
        if self.hidden < len(self.singular_values):
            raise ValueError("hidden must be at least the number of singular values")
        steps = self.extra_time * math.log(1 / min(self.alphas)) / min(self.singular_values) / self.lr
        if steps * len(self.alphas) > 2_000_000:
            raise ValueError("too many steps: raise lr or the smallest singular value, or use fewer alphas")
        if self.lr * max(self.singular_values) > 0.1:
            raise ValueError("lr * s_max must be at most 0.1 so that gradient descent follows gradient flow")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"singular_values": [3.0, 2.0, 1.0], "hidden": 64, "alphas": [1e-2, 1e-4, 1e-8], "lr": 0.002},
    "full": {
        "singular_values": [4.0, 3.0, 2.0, 1.0],
        "hidden": 256,
        "alphas": [1e-2, 1e-4, 1e-8, 1e-12],
        "lr": 0.0005,
        "points": 1000,
    },
}


def modes_not_approaching_one(metrics: Mapping[str, Any]) -> int | None:
    """How many modes' |s_k t_k / ln(1/alpha) - 1| fails to shrink at every step to a smaller alpha.

    Read from the ``ratio_alpha{alpha}_mode{k}`` metrics; None with fewer than two alphas, where
    nothing can shrink.
    """
    by_alpha: dict[float, dict[int, float]] = {}
    for key, value in metrics.items():
        found = re.fullmatch(r"ratio_alpha(.+)_mode(\d+)", key)
        if found:
            by_alpha.setdefault(float(found[1]), {})[int(found[2])] = float("nan") if value is None else value
    alphas = sorted(by_alpha, reverse=True)
    if len(alphas) < 2:
        return None
    failing = 0
    for mode in by_alpha[alphas[0]]:
        deviations = [abs(by_alpha[alpha].get(mode, float("nan")) - 1) for alpha in alphas]
        if not all(later < earlier for earlier, later in zip(deviations, deviations[1:], strict=False)):
            failing += 1
    return failing


CLAIMS = (
    Claim(
        key="plateaus",
        text="at the smallest alpha, halfway between consecutive drops, the loss sits at ½ Σ s² of the "
        "unlearned modes, within {limit:.0%} (the initial loss is not counted)",
        metric="plateau_max_rel_error_smallest_alpha",
        op="<",
        limit=0.03,
    ),
    Claim(
        key="towards_one",
        text="s_k t_k / ln(1/alpha) moves towards 1 for every mode as alpha shrinks",
        metric="modes whose |s_k t_k / ln(1/alpha) − 1| does not shrink with alpha",
        op="==",
        limit=0,
        derive=modes_not_approaching_one,
    ),
    Claim(
        key="ratio",
        text="at the smallest alpha, s_k t_k / ln(1/alpha) is within {limit} of 1 for every mode",
        metric="ratio_smallest_alpha_max_dev",
        op="<",
        limit=0.08,
    ),
    Claim(
        key="logistic",
        text="drop times match the logistic solution from the measured initial strength within {limit:.0%}",
        metric="refined_drop_time_max_rel_error",
        op="<",
        limit=0.02,
    ),
)


def _orthogonal(d: int, gen: Any) -> Any:
    import torch

    q, r = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train a two-layer linear network from several small init scales and time each mode's drop."""
    import torch

    dev = ctx.device
    if dev.type == "cpu":
        # The matrices are tiny: one thread avoids synchronisation overhead that,
        # on a busy machine, makes two threads many times slower than one.
        torch.set_num_threads(1)
    s = torch.tensor(config.singular_values, dtype=torch.float64)
    d = len(config.singular_values)
    h = config.hidden
    gen = ctx.generator("target")
    u, v = _orthogonal(d, gen), _orthogonal(d, gen)
    target = (u * s) @ v.T
    u, v, target = u.to(dev), v.to(dev), target.to(dev)
    s_list = config.singular_values

    runs: dict[str, Any] = {}
    ratios: dict[str, list[float]] = {}
    plateau_errors: dict[str, list[float]] = {}
    refined_errors: list[float] = []
    init_gen = ctx.generator("init")
    total_steps = sum(int(config.extra_time * math.log(1 / a) / min(s_list) / config.lr) + 1 for a in config.alphas)
    steps_done = 0
    for alpha in config.alphas:
        log_inv = math.log(1 / alpha)
        steps = int(config.extra_time * log_inv / min(s_list) / config.lr) + 1
        w1 = (torch.randn(h, d, generator=init_gen, dtype=torch.float64) * alpha / math.sqrt(h)).to(dev)
        w2 = (torch.randn(d, h, generator=init_gen, dtype=torch.float64) * alpha / math.sqrt(h)).to(dev)
        p0 = (((w1 @ v + w2.T @ u) / 2) ** 2).sum(dim=0).cpu()
        refined = [math.log(sk / float(p0[k]) - 1) / (2 * sk) for k, sk in enumerate(s_list)]
        losses = torch.empty(steps + 1, dtype=torch.float64, device=dev)
        strengths = torch.empty(steps + 1, d, dtype=torch.float64, device=dev)
        for step in range(steps + 1):
            prod = w2 @ w1
            resid = prod - target
            losses[step] = 0.5 * (resid**2).sum()
            strengths[step] = torch.diagonal(u.T @ prod @ v)
            if step == steps:
                break
            g1 = w2.T @ resid
            g2 = resid @ w1.T
            w1 = w1 - config.lr * g1
            w2 = w2 - config.lr * g2
            if step % 2000 == 0:
                ctx.check_cancelled()
                ctx.progress((steps_done + step) / total_steps, f"alpha {alpha:g}, step {step}/{steps}")
        steps_done += steps
        loss_np = losses.cpu().numpy()
        strength_np = strengths.cpu().numpy()
        times = [config.lr * i for i in range(steps + 1)]

        drop_times: list[float | None] = []
        for k, sk in enumerate(s_list):
            above = (strength_np[:, k] >= sk / 2).nonzero()[0]
            if len(above) == 0:
                drop_times.append(None)
                continue
            i = int(above[0])
            # Linear interpolation between the two steps around the crossing.
            a0, a1 = strength_np[i - 1, k], strength_np[i, k]
            frac = (sk / 2 - a0) / (a1 - a0) if a1 != a0 else 0.0
            drop_times.append(config.lr * (i - 1 + frac))
        ratios[f"{alpha:g}"] = [
            sk * t / log_inv if t is not None else float("nan") for sk, t in zip(s_list, drop_times, strict=True)
        ]
        refined_errors += [abs(t - r) / r for t, r in zip(drop_times, refined, strict=True) if t is not None]

        # Plateaus: the loss halfway (in time) between consecutive predicted drops. The stretch before
        # the first drop is left out: there the loss is still the initial ½ Σ s², which says nothing
        # about saddles.
        predicted = [log_inv / sk for sk in s_list]
        plateaus = []
        for k in range(1, d):
            t_mid = 0.5 * (predicted[k - 1] + predicted[k])
            i = min(steps, int(round(t_mid / config.lr)))
            theory = 0.5 * sum(x * x for x in s_list[k:])
            plateaus.append({"t": t_mid, "measured": float(loss_np[i]), "theory": theory})
        plateau_errors[f"{alpha:g}"] = [abs(p["measured"] - p["theory"]) / p["theory"] for p in plateaus]

        keep = subsample_indices(steps + 1, config.points)
        runs[f"{alpha:g}"] = {
            "alpha": alpha,
            "t": [times[i] for i in keep],
            "loss": [float(loss_np[i]) for i in keep],
            "drop_times": drop_times,
            "predicted_drop_times": predicted,
            "refined_drop_times": refined,
            "plateaus": plateaus,
            "final_loss": float(loss_np[-1]),
        }

    smallest = f"{min(config.alphas):g}"
    metrics = {
        "ratio_smallest_alpha_max_dev": max(abs(r - 1) for r in ratios[smallest]),
        "plateau_max_rel_error_smallest_alpha": max(plateau_errors[smallest]),
        "refined_drop_time_max_rel_error": max(refined_errors) if refined_errors else None,
    }
    for key, values in ratios.items():
        for k, value in enumerate(values):
            metrics[f"ratio_alpha{key}_mode{k + 1}"] = value
    ctx.progress(1.0, "done")
    return {
        "metrics": metrics,
        "series": {"runs": runs, "ratios": ratios, "plateau_rel_errors": plateau_errors},
        "singular_values": s_list,
    }


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Loss against rescaled time t/ln(1/α): every α on one staircase with drops at 1/sₖ."""
    from compute.plotting import add_measured, add_theory, finish, new_figure, number

    s_list = result["singular_values"]
    fig = new_figure("", "Rescaled time t / ln(1/α)", "Loss")
    runs = result["series"]["runs"]
    end = max(r["t"][-1] / math.log(1 / r["alpha"]) for r in runs.values())
    xs, ys = [0.0], [0.5 * sum(x * x for x in s_list)]
    for k, sk in enumerate(s_list):
        level = 0.5 * sum(x * x for x in s_list[k + 1 :])
        xs += [1 / sk, 1 / sk]
        ys += [ys[-1], level]
    xs.append(end)
    ys.append(0.0)
    add_theory(fig, xs, ys, label="staircase: drops at 1/sₖ", index=0)
    for i, run_data in enumerate(runs.values()):
        scale = math.log(1 / run_data["alpha"])
        add_measured(
            fig,
            [t / scale for t in run_data["t"]],
            run_data["loss"],
            label=f"α = {number(run_data['alpha'])}",
            index=i + 1,
            line=True,
        )
    return finish(fig)


EXPERIMENT = Experiment(
    name="saddle_to_saddle",
    title="Saddle-to-saddle dynamics from vanishing initialisation",
    summary="A linear network started from scale alpha learns its target one singular mode at a time: the loss "
    "steps down between plateaus at half the unlearned power, at times ln(1/alpha)/s_k.",
    citation="Jacot, Ged, Simsek, Hongler & Gabriel (2021), arXiv:2106.15933; Saxe, McClelland & Ganguli (2014), "
    "arXiv:1312.6120; Kunin, Simon et al. (2025)",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=(
        "ratio_smallest_alpha_max_dev",
        "plateau_max_rel_error_smallest_alpha",
        "refined_drop_time_max_rel_error",
    ),
    claims=CLAIMS,
    gpu_tolerance=1e-6,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
