"""Gradient descent approaches gradient flow: the error is first order in the learning rate.

Gradient descent with step ``h`` is the explicit Euler method for the gradient
flow ``dθ/dt = -∇L(θ)``, so at a fixed time ``t = h * steps`` the gap between
the two is ``h e(t) + O(h^2)``. Backward error analysis (Barrett and Dherin
2021, "Implicit gradient regularization", arXiv:2009.11162; Smith, Dherin,
Barrett and De 2021, "On the origin of implicit regularization in stochastic
gradient descent", arXiv:2101.12176) gives the first-order error exactly:

    de/dt = -H(θ(t)) (e + g(θ(t)) / 2),   e(0) = 0,

with ``g`` the gradient and ``H`` the Hessian along the flow. This is the
quantitative form of the "discretisation hypothesis" (Elkabetz and Cohen 2021,
"Continuous vs. discrete optimization of deep neural networks",
arXiv:2107.06608): for small steps, gradient descent is the flow.

Here a two-layer tanh network in NTK scaling, ``f(x) = a · tanh(W x / sqrt(d))
/ sqrt(N)``, fits a nonlinear teacher by full-batch GD at several learning
rates, halving each time. The flow and ``e(t)`` are integrated together with
classical RK4 at a step several times smaller than the smallest learning rate
(Hessian-vector products by double backpropagation), in float64. The measured
claim: the parameter distance between GD and the flow at the final time falls
linearly in the learning rate (log-log slope near 1) and matches ``h |e(T)|``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from compute.experiments._numerics import loglog_slope, subsample_indices
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    width: int = Field(32, ge=1, le=4096, title="Width N", description="Hidden units N of the two-layer tanh network.")
    input_dim: int = Field(
        4, ge=1, le=256, title="Input dimension d", description="Coordinates of the synthetic Gaussian inputs."
    )
    samples: int = Field(
        64, ge=1, le=8192, title="Training points n", description="Training points n (full-batch gradient descent)."
    )
    lr_max: float = Field(
        0.2,
        gt=0.0,
        le=2.0,
        title="Largest learning rate h",
        description="The largest step size h; the others halve it repeatedly.",
    )
    num_lrs: int = Field(4, ge=2, le=8, title="Learning rates", description="Number of learning rates: h, h/2, h/4, …")
    horizon_steps: int = Field(
        25,
        ge=1,
        le=2000,
        title="Steps at the largest rate",
        description="Steps at the largest learning rate h; the common final time is T = h × steps.",
    )
    ref_substeps: int = Field(
        4,
        ge=1,
        le=64,
        title="Reference substeps",
        description="RK4 steps of the reference flow per step of the smallest learning rate.",
    )


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "width": 32,
        "input_dim": 4,
        "samples": 64,
        "lr_max": 0.2,
        "num_lrs": 4,
        "horizon_steps": 25,
        "ref_substeps": 2,
    },
    "full": {
        "width": 1024,
        "input_dim": 16,
        "samples": 1024,
        "lr_max": 0.2,
        "num_lrs": 6,
        "horizon_steps": 50,
        "ref_substeps": 8,
    },
}


def first_order_mismatch(metrics: Mapping[str, Any]) -> float | None:
    """Measured distance over the first-order prediction, minus one, at the smallest learning rate."""
    ratio = metrics.get("ratio_to_first_order_smallest_lr")
    return None if ratio is None else ratio - 1


CLAIMS = (
    Claim(
        key="linear",
        text="the distance between gradient descent and gradient flow at equal time shrinks linearly in the "
        "learning rate (log-log slope in [{low}, {high}])",
        metric="slope_param_distance",
        op="in",
        limit=(0.9, 1.1),
    ),
    Claim(
        key="first_order",
        text="at the smallest learning rate the distance matches the first-order backward-error prediction "
        "h·|e(T)| within {limit:.0%}",
        metric="ratio_to_first_order_smallest_lr − 1",
        op="<",
        limit=0.05,
        absolute=True,
        derive=first_order_mismatch,
    ),
)


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train by GD at several learning rates and integrate the flow with RK4; return distances at equal times."""
    import torch

    dev, dt = ctx.device, torch.float64
    n, d, width = config.samples, config.input_dim, config.width
    gen = ctx.generator("data")
    x = torch.randn(n, d, generator=gen, dtype=dt).to(dev)
    beta = torch.randn(d, generator=gen, dtype=dt).to(dev) / d**0.5
    y = torch.tanh(2.0 * x @ beta) + 0.5 * torch.sin(x[:, 0])
    init = ctx.generator("init")
    w0 = torch.randn(width, d, generator=init, dtype=dt)
    a0 = torch.randn(width, generator=init, dtype=dt)
    theta0 = torch.cat([w0.reshape(-1), a0]).to(dev)
    split = width * d

    def predict(theta: Any) -> Any:
        w = theta[:split].reshape(width, d)
        a = theta[split:]
        return torch.tanh(x @ w.T / d**0.5) @ a / width**0.5

    def loss_fn(theta: Any) -> Any:
        return 0.5 * ((predict(theta) - y) ** 2).mean()

    def grad(theta: Any) -> Any:
        t = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss_fn(t), t)
        return g

    def flow_field(theta: Any, err: Any) -> tuple[Any, Any]:
        # Returns (-g, -H (e + g/2)) with one double-backward Hessian-vector product.
        t = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss_fn(t), t, create_graph=True)
        v = err + 0.5 * g.detach()
        (hv,) = torch.autograd.grad(g @ v, t)
        return -g.detach(), -hv

    lrs = [config.lr_max / 2**k for k in range(config.num_lrs)]
    checkpoints = config.horizon_steps  # one record per lr_max step
    horizon = config.lr_max * config.horizon_steps
    times = [config.lr_max * j for j in range(checkpoints + 1)]

    # Reference: flow and first-order error, RK4.
    per_check = 2 ** (config.num_lrs - 1) * config.ref_substeps
    h = config.lr_max / per_check
    total_ref = per_check * checkpoints
    total_gd = sum(config.horizon_steps * 2**k for k in range(config.num_lrs))
    work_total = 2 * total_ref + total_gd
    theta, err = theta0.clone(), torch.zeros_like(theta0)
    flow_states, err_norms, flow_loss = [theta.clone()], [0.0], [float(loss_fn(theta))]
    done = 0
    for j in range(checkpoints):
        for _ in range(per_check):
            k1 = flow_field(theta, err)
            k2 = flow_field(theta + 0.5 * h * k1[0], err + 0.5 * h * k1[1])
            k3 = flow_field(theta + 0.5 * h * k2[0], err + 0.5 * h * k2[1])
            k4 = flow_field(theta + h * k3[0], err + h * k3[1])
            theta = theta + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            err = err + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        done += 2 * per_check
        flow_states.append(theta.clone())
        err_norms.append(float(err.norm()))
        flow_loss.append(float(loss_fn(theta)))
        ctx.check_cancelled()
        ctx.progress(done / work_total, f"reference flow t={times[j + 1]:.3g}")

    distances: dict[str, list[float]] = {}
    fn_distances: dict[str, list[float]] = {}
    gd_loss: dict[str, list[float]] = {}
    for k, lr in enumerate(lrs):
        stride = 2**k
        theta = theta0.clone()
        dist, fdist, losses = [0.0], [0.0], [float(loss_fn(theta))]
        for j in range(checkpoints):
            for _ in range(stride):
                theta = theta - lr * grad(theta)
            ref = flow_states[j + 1]
            dist.append(float((theta - ref).norm()))
            with torch.no_grad():
                fdist.append(float(((predict(theta) - predict(ref)) ** 2).mean().sqrt()))
            losses.append(float(loss_fn(theta)))
            ctx.check_cancelled()
        done += stride * checkpoints
        ctx.progress(done / work_total, f"gradient descent lr={lr:g}")
        key = f"{lr:g}"
        distances[key], fn_distances[key], gd_loss[key] = dist, fdist, losses

    final = [distances[f"{lr:g}"][-1] for lr in lrs]
    final_fn = [fn_distances[f"{lr:g}"][-1] for lr in lrs]
    theory_final = [lr * err_norms[-1] for lr in lrs]
    ratios = [m / t for m, t in zip(final, theory_final, strict=True)]
    keep = subsample_indices(len(times), 200)
    return {
        "metrics": {
            "slope_param_distance": loglog_slope(lrs, final),
            "slope_function_distance": loglog_slope(lrs, final_fn),
            "ratio_to_first_order_smallest_lr": ratios[-1],
            "ratio_to_first_order_largest_lr": ratios[0],
            "first_order_error_norm": err_norms[-1],
            "final_time": horizon,
            "flow_loss_initial": flow_loss[0],
            "flow_loss_final": flow_loss[-1],
        },
        "series": {
            "lrs": lrs,
            "final_param_distance": final,
            "final_function_distance": final_fn,
            "first_order_prediction": theory_final,
            "times": [times[i] for i in keep],
            "error_norm": [err_norms[i] for i in keep],
            "flow_loss": [flow_loss[i] for i in keep],
            "distance": {key: [v[i] for i in keep] for key, v in distances.items()},
            "gd_loss": {key: [v[i] for i in keep] for key, v in gd_loss.items()},
        },
    }


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Distance to the flow at the final time against learning rate (log-log), and along the trajectory per rate."""
    from compute.plotting import add_measured, add_theory, finish, new_figure, number, stack

    s = result["series"]
    final_time = number(result["metrics"]["final_time"])
    top = new_figure(
        f"At the final time T = {final_time}",
        "Learning rate h",
        "Distance to the flow ‖Δθ‖",
        x_log=True,
        y_log=True,
        height=300,
    )
    add_theory(top, s["lrs"], s["first_order_prediction"], label="first order: h·‖e(T)‖", index=0)
    add_measured(top, s["lrs"], s["final_param_distance"], label="gradient descent", index=1)
    finish(top)
    bottom = new_figure("Along the trajectory", "Time t = h × steps", "Rescaled distance ‖Δθ‖/h", height=300)
    add_theory(bottom, s["times"], s["error_norm"], label="‖e(t)‖, the limit h → 0", index=0)
    for i, (key, dist) in enumerate(s["distance"].items()):
        lr = float(key)
        add_measured(bottom, s["times"], [v / lr for v in dist], label=f"h = {number(lr)}", index=i + 1, line=True)
    finish(bottom, legend_title="learning rate")
    return stack(top, bottom)


EXPERIMENT = Experiment(
    name="gd_vs_flow",
    title="Gradient descent approaches gradient flow",
    summary="Full-batch gradient descent on a small tanh network against an RK4 solution of gradient flow: "
    "the distance at equal time shrinks linearly in the learning rate, as backward error analysis predicts.",
    citation="Barrett & Dherin (2021), arXiv:2009.11162; Elkabetz & Cohen (2021), arXiv:2107.06608",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("slope_param_distance", "ratio_to_first_order_smallest_lr"),
    claims=CLAIMS,
    gpu_tolerance=1e-6,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
