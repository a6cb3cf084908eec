"""Learning dynamics of a two-layer linear network against the exact sigmoid.

Theory: A. M. Saxe, J. L. McClelland and S. Ganguli (2014), "Exact solutions
to the nonlinear dynamics of learning in deep linear neural networks",
ICLR 2014, arXiv:1312.6120.

Setting. Inputs are whitened (``X X^T / N = I``) and the target is linear,
``Y = M X`` with ``M = U diag(s) V^T``. The network is ``W2 W1`` and is trained
by full-batch gradient descent on ``L = ||Y - W2 W1 X||^2 / (2N)``, whose
gradients are ``-W2^T (M - W2 W1)`` for ``W1`` and ``-(M - W2 W1) W1^T`` for
``W2``. The initialisation is balanced and aligned: both layers carry the
strength ``b0 = sqrt(u0)`` on every mode, through orthonormal hidden
directions ``r_a``: ``W1 = b0 sum_a r_a v_a^T`` and ``W2 = b0 sum_a u_a r_a^T``.

Derivation. Under these gradients the modes decouple and stay balanced, so
each is described by one number ``b_a`` per layer with
``db/dt = b (s - b^2)`` in the time ``t = lr * step``. The mode strength
``u = b^2 = u_a^T W2 W1 v_a`` therefore obeys the logistic equation
``du/dt = 2 u (s - u)``, whose solution from ``u(0) = u0`` is

    u(t) = s e^{2 s t} / (e^{2 s t} - 1 + s / u0).

Gradient descent is the forward-Euler discretisation of this flow, so the
measured strengths approach the curve as ``lr * s`` goes to zero; the metrics
report how close they are (``max_rel_error`` is the largest deviation over
all modes and times, divided by the mode's singular value).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator

from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    singular_values: list[float] = Field(
        default_factory=lambda: [3.0, 2.0, 1.0, 0.5],
        min_length=1,
        max_length=8,
        title="Singular values s",
        description="Singular values s of the target map, one per mode (each in (0, 10]; dimensionless).",
    )
    input_dim: int = Field(
        8, ge=1, le=256, title="Input dimension", description="Input coordinates (at least the number of modes)."
    )
    output_dim: int = Field(
        6, ge=1, le=256, title="Output dimension", description="Output coordinates (at least the number of modes)."
    )
    hidden: int = Field(
        16, ge=1, le=512, title="Hidden width", description="Hidden units (at least the number of modes)."
    )
    init_scale: float = Field(
        1e-3,
        gt=0.0,
        le=0.5,
        title="Initial mode strength u₀",
        description="Initial strength u₀ of every mode (each layer starts at √u₀ on every mode; dimensionless).",
    )
    lr: float = Field(
        0.005,
        gt=0.0,
        le=0.1,
        title="Learning rate η",
        description="Step size η of full-batch gradient descent (time t = η × step).",
    )
    steps: int = Field(3000, ge=10, le=200_000, title="Steps", description="Gradient steps.")
    records: int = Field(150, ge=10, le=1000, title="Recorded times", description="Time points recorded along the run.")

    @model_validator(mode="after")
    def _check_shapes(self) -> Config:
        modes = len(self.singular_values)
        if any(not (0.0 < s <= 10.0) for s in self.singular_values):
            raise ValueError("every singular value must lie in (0, 10]")
        if min(self.input_dim, self.output_dim, self.hidden) < modes:
            raise ValueError(f"input_dim, output_dim and hidden must each be at least the number of modes ({modes})")
        if any(self.init_scale >= s for s in self.singular_values):
            raise ValueError("init_scale must be smaller than every singular value")
        if self.lr * max(self.singular_values) > 0.5:
            raise ValueError("lr times the largest singular value must be at most 0.5 (gradient descent diverges)")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {},
    "full": {
        "singular_values": [5.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.5],
        "input_dim": 64,
        "output_dim": 48,
        "hidden": 128,
        "init_scale": 1e-4,
        "lr": 0.002,
        "steps": 15_000,
        "records": 400,
    },
}


CLAIMS = (
    Claim(
        key="sigmoid",
        text="every mode's strength follows Saxe et al.'s closed-form sigmoid to within {limit:.0%} of its "
        "singular value",
        metric="max_rel_error",
        op="<",
        limit=0.05,
    ),
    Claim(key="order", text="modes are learned in order of strength", metric="order_correct", op="==", limit=True),
)


def theory(s: float, u0: float, t: float) -> float:
    """The closed-form mode strength u(t) for singular value s from u0."""
    # Written with e^{-2st} so that large times do not overflow.
    decay = math.exp(-2.0 * s * t)
    return s / (1.0 - decay + (s / u0) * decay)


def half_time(times: list[float], values: list[float], s: float) -> float | None:
    """First time (linearly interpolated) at which a strength reaches s/2; None if it never does."""
    target = s / 2.0
    for i, value in enumerate(values):
        if value >= target:
            if i == 0:
                return times[0]
            t0, t1, v0, v1 = times[i - 1], times[i], values[i - 1], values[i]
            return t0 + (t1 - t0) * (target - v0) / (v1 - v0) if v1 != v0 else t1
    return None


def _orthonormal(n: int, k: int, gen: Any) -> Any:
    import torch

    q, r = torch.linalg.qr(torch.randn(n, k, generator=gen, dtype=torch.float64))
    # Fix the signs so the factorisation, and hence the result, is unique.
    return q * torch.sign(torch.diagonal(r)).unsqueeze(0)


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train the network by gradient descent, recording each mode strength against the sigmoid."""
    import torch

    dev = ctx.device
    gen = ctx.generator("geometry")
    s = list(config.singular_values)
    modes = len(s)
    n = config.input_dim  # as many samples as input dimensions: X = sqrt(N) Q is exactly white
    u_vecs = _orthonormal(config.output_dim, modes, gen).to(dev)
    v_vecs = _orthonormal(config.input_dim, modes, gen).to(dev)
    r_vecs = _orthonormal(config.hidden, modes, gen).to(dev)
    x = math.sqrt(n) * _orthonormal(config.input_dim, config.input_dim, gen).to(dev)
    target_map = u_vecs @ torch.diag(torch.tensor(s, dtype=torch.float64, device=dev)) @ v_vecs.T
    y = target_map @ x

    b0 = math.sqrt(config.init_scale)
    w1 = b0 * r_vecs @ v_vecs.T
    w2 = b0 * u_vecs @ r_vecs.T

    record_at = sorted({round(i * config.steps / (config.records - 1)) for i in range(config.records)})
    record_set = set(record_at)
    times: list[float] = []
    measured: list[list[float]] = [[] for _ in range(modes)]
    losses: list[float] = []
    report_every = max(1, config.steps // 100)

    for step in range(config.steps + 1):
        if step in record_set:
            product = w2 @ w1
            strengths = torch.einsum("oa,oi,ia->a", u_vecs, product, v_vecs)
            residual = y - product @ x
            times.append(config.lr * step)
            for a in range(modes):
                measured[a].append(float(strengths[a]))
            losses.append(float((residual * residual).sum() / (2 * n)))
        if step == config.steps:
            break
        if step % report_every == 0:
            ctx.check_cancelled()
            ctx.progress(step / config.steps, f"step {step}/{config.steps}")
        # Gradient of L = ||Y - W2 W1 X||^2 / (2N); with white X it equals -(M - W2 W1) in the product.
        error = (y - w2 @ w1 @ x) @ x.T / n
        grad_w1 = -(w2.T @ error)
        grad_w2 = -(error @ w1.T)
        w1 = w1 - config.lr * grad_w1
        w2 = w2 - config.lr * grad_w2

    predicted = [[theory(s[a], config.init_scale, t) for t in times] for a in range(modes)]
    deviation = [max(abs(m - p) for m, p in zip(measured[a], predicted[a], strict=True)) / s[a] for a in range(modes)]
    t_half_measured = [half_time(times, measured[a], s[a]) for a in range(modes)]
    t_half_theory = [math.log(s[a] / config.init_scale - 1.0) / (2.0 * s[a]) for a in range(modes)]
    # Modes must reach half strength in order of decreasing singular value (ties may come in any order).
    by_strength = sorted(range(modes), key=lambda a: -s[a])
    halves = [t_half_measured[a] for a in by_strength]
    order_correct = all(h is not None for h in halves) and all(
        s[by_strength[i]] == s[by_strength[i + 1]] or halves[i] <= halves[i + 1]  # type: ignore[operator]
        for i in range(modes - 1)
    )
    ctx.progress(1.0, "done")
    return {
        "times": times,
        "singular_values": s,
        "measured": measured,
        "theory": predicted,
        "loss": losses,
        "t_half_measured": t_half_measured,
        "t_half_theory": t_half_theory,
        "metrics": {
            "max_abs_deviation_over_s": deviation,
            "max_rel_error": max(deviation),
            "order_correct": order_correct,
            "final_loss": losses[-1],
        },
    }


def figure(result: dict[str, Any], options: Any = None) -> Any:
    """Mode strengths against time: measured markers, the closed-form sigmoid as lines, one colour per mode."""
    from compute.plotting import add_measured, add_theory, finish, new_figure, number

    fig = new_figure("", "Time t = η × step", "Mode strength u(t)")
    times = result["times"]
    stride = max(1, len(times) // 40)
    for a, s in enumerate(result["singular_values"]):
        label = f"s = {number(s)}"
        add_theory(fig, times, result["theory"][a], label=label, index=a)
        add_measured(fig, times[::stride], result["measured"][a][::stride], label=label, index=a)
    return finish(fig, legend_title="mode, by singular value s")


EXPERIMENT = Experiment(
    name="deep_linear",
    title="Deep linear network dynamics",
    summary="A two-layer linear network trained by gradient descent from a small balanced initialisation learns "
    "each singular mode of its target along the exact sigmoid, strongest mode first.",
    citation="Saxe, McClelland & Ganguli (2014), Exact solutions to the nonlinear dynamics of learning in deep "
    "linear neural networks, ICLR 2014, arXiv:1312.6120",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("max_rel_error", "order_correct"),
    claims=CLAIMS,
    gpu_tolerance=1e-9,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
