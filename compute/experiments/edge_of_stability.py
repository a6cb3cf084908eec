"""Edge of stability: full-batch gradient descent drives the sharpness to 2/lr and holds it there.

Theory and original observation: J. M. Cohen, S. Kaur, Y. Li, J. Z. Kolter and
A. Talwalkar (2021), "Gradient descent on neural networks typically occurs at
the edge of stability", ICLR 2021, arXiv:2103.00065. The classical stability
bound: gradient descent with step ``lr`` on a quadratic diverges along any
direction whose curvature exceeds ``2 / lr``.

A tanh MLP is trained by full-batch gradient descent on a subset of digits
with square loss ``1/(2n) sum ||f(x) - y||^2`` (one-hot targets), in float64.
The sharpness, the top eigenvalue of the loss Hessian, is tracked by power
iteration on Hessian-vector products (double backpropagation), warm-started
from the previous estimate. For a large learning rate the sharpness first
rises (progressive sharpening) and then hovers at ``2 / lr``; for a small one,
trained for the same time ``lr * steps`` as the largest (so for more steps),
it stays far below its threshold.

The settled sharpness is the mean of the estimates over the final
``tail_fraction`` of training; that it has settled is checked by comparing the
means over the two halves of that window (their difference, over ``2 / lr``,
must be small). At smoke size (width 32, 500 digits, 2000 steps) the claim is
made for lr 0.25 and 0.3: at lr 0.2 the sharpness is still rising at the end,
at about 0.9 of its threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from compute.experiments._numerics import subsample_indices
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    n_train: int = Field(
        500, ge=50, le=1797, title="Training digits", description="Digits used for full-batch training."
    )
    width: int = Field(32, ge=4, le=1024, title="Hidden width", description="Units in each hidden layer.")
    depth: int = Field(2, ge=1, le=4, title="Hidden layers", description="Number of hidden tanh layers.")
    eos_lrs: list[float] = Field(
        default_factory=lambda: [0.25, 0.3],
        min_length=1,
        max_length=4,
        title="Learning rates η at the edge",
        description="Learning rates η expected to reach the edge of stability (each in (0, 2]).",
    )
    small_lr: float = Field(
        0.05,
        gt=0,
        le=2.0,
        title="Small learning rate η",
        description="A learning rate whose threshold 2/η is never reached; it trains for as long a time η × steps as "
        "the largest learning rate.",
    )
    steps: int = Field(
        2000, ge=100, le=100_000, title="Steps", description="Gradient-descent steps per large learning rate."
    )
    sharpness_every: int = Field(
        40, ge=1, le=1000, title="Steps between sharpness estimates", description="Steps between sharpness estimates."
    )
    power_iters: int = Field(
        6,
        ge=1,
        le=100,
        title="Power iterations",
        description="Warm-started power iterations per sharpness estimate.",
    )
    tail_fraction: float = Field(
        0.4,
        gt=0.05,
        le=0.9,
        title="Settling window",
        description="Final fraction of training over which the settled sharpness is averaged and its flatness checked.",
    )

    @field_validator("eos_lrs")
    @classmethod
    def _lrs(cls, value: list[float]) -> list[float]:
        if any(v <= 0 or v > 2 for v in value):
            raise ValueError("each learning rate must lie in (0, 2]")
        return sorted(set(value))

    @property
    def control_steps(self) -> int:
        """Steps of the small learning rate: as long a training time η × steps as the largest learning rate's."""
        return round(self.steps * max(self.eos_lrs) / self.small_lr)

    @model_validator(mode="after")
    def _budget(self) -> Config:
        gradients = len(self.eos_lrs) * self.steps * (1 + 3 * self.power_iters / self.sharpness_every)
        gradients += max(self.control_steps, self.steps) + 3 * self.power_iters * self.steps / self.sharpness_every
        cost = gradients * self.n_train * self.width**2
        if cost > 5e13:
            raise ValueError("too much work: reduce steps, width, n_train or the number of learning rates")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n_train": 500, "width": 32, "eos_lrs": [0.25, 0.3], "small_lr": 0.075, "steps": 2000},
    "full": {
        "n_train": 1797,
        "width": 256,
        "eos_lrs": [0.1, 0.2, 0.3],
        "small_lr": 0.05,
        "steps": 20000,
        "sharpness_every": 20,
        "power_iters": 10,
    },
}


def largest_initial_over_threshold(metrics: Mapping[str, Any]) -> float | None:
    """The largest initial sharpness over 2/lr among the learning rates; None when none was recorded."""
    values = [v for k, v in metrics.items() if k.startswith("initial_over_threshold_lr") and v is not None]
    return max(values) if values else None


CLAIMS = (
    Claim(
        key="settles",
        text="for each large learning rate of the preset (η = 0.25 and 0.3 at smoke size; at 0.2 the sharpness is "
        "still rising after 2000 steps) the sharpness averaged over the settling window is within {limit:.0%} of 2/η",
        metric="eos_max_rel_gap",
        op="<",
        limit=0.10,
    ),
    Claim(
        key="plateau",
        text="and it has stopped there: the mean sharpness over the window's second half differs from that over its "
        "first half by less than {limit:.0%} of 2/η",
        metric="eos_max_tail_drift",
        op="<",
        limit=0.05,
    ),
    Claim(
        key="rises",
        text="the sharpness starts below {limit:.0%} of 2/η, so it has to rise to get there",
        metric="largest initial_over_threshold_lr*",
        op="<",
        limit=0.9,
        derive=largest_initial_over_threshold,
    ),
    Claim(
        key="small_lr",
        text="a small learning rate, trained for as long a time η × steps as the largest one, keeps its sharpness "
        "below {limit:.0%} of its threshold 2/η",
        metric="small_lr_max_over_threshold",
        op="<",
        limit=0.5,
    ),
)


def layer_shapes(config: Config) -> list[tuple[int, ...]]:
    sizes = [64] + [config.width] * config.depth + [10]
    shapes: list[tuple[int, ...]] = []
    for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
        shapes += [(fan_out, fan_in), (fan_out,)]
    return shapes


def forward(theta: Any, shapes: list[tuple[int, ...]], x: Any) -> Any:
    """The MLP as a function of one flat parameter vector (tanh between layers, linear output)."""
    import torch

    offset = 0
    h = x
    n_layers = len(shapes) // 2
    for i in range(n_layers):
        w_shape, b_shape = shapes[2 * i], shapes[2 * i + 1]
        w_size, b_size = w_shape[0] * w_shape[1], b_shape[0]
        w = theta[offset : offset + w_size].view(w_shape)
        b = theta[offset + w_size : offset + w_size + b_size]
        offset += w_size + b_size
        h = h @ w.T + b
        if i < n_layers - 1:
            h = torch.tanh(h)
    return h


def square_loss(output: Any, target: Any) -> Any:
    return 0.5 * ((output - target) ** 2).sum(dim=1).mean()


def hvp(loss_fn: Callable[[Any], Any], theta: Any, vec: Any) -> Any:
    """Hessian of ``loss_fn`` at ``theta`` times ``vec``, by differentiating the gradient's projection on vec."""
    import torch

    point = theta.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(point), point, create_graph=True)
    (hv,) = torch.autograd.grad(grad @ vec, point)
    return hv


def top_eigenvalue(loss_fn: Callable[[Any], Any], theta: Any, start: Any, iters: int) -> tuple[float, Any]:
    """Power iteration on Hessian-vector products; returns the Rayleigh quotient and the last vector."""
    vec = start / start.norm()
    value = 0.0
    for _ in range(iters):
        hv = hvp(loss_fn, theta, vec)
        value = float(vec @ hv)
        vec = hv / hv.norm()
    return value, vec


def settling(
    steps: list[int], values: list[float], n_steps: int, tail_fraction: float
) -> tuple[float | None, float | None]:
    """The mean sharpness over the final ``tail_fraction`` of training, and its drift across that window.

    The drift is the mean over the window's second half minus the mean over
    its first half: near zero when the sharpness has settled, positive while it
    is still rising. Either is None when the window holds too few estimates.
    """
    start = (1 - tail_fraction) * n_steps
    tail = [(s, v) for s, v in zip(steps, values, strict=True) if s >= start]
    if len(tail) < 2:
        return (sum(v for _, v in tail) / len(tail) if tail else None), None
    middle = (start + n_steps) / 2
    first = [v for s, v in tail if s < middle]
    second = [v for s, v in tail if s >= middle]
    settled = sum(v for _, v in tail) / len(tail)
    if not first or not second:
        return settled, None
    return settled, sum(second) / len(second) - sum(first) / len(first)


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train one MLP per learning rate by full-batch GD and track its sharpness against 2/lr."""
    import torch
    from sklearn.datasets import load_digits

    dev = ctx.device
    if dev.type == "cpu":
        # The matrices are tiny: one thread avoids synchronisation overhead that,
        # on a busy machine, makes two threads many times slower than one.
        torch.set_num_threads(1)
    digits = load_digits()
    order = ctx.numpy_rng("subset").permutation(len(digits.target))[: config.n_train]
    x = torch.tensor(digits.data[order] / 16.0, dtype=torch.float64)
    x = (x - x.mean(dim=0)).to(dev)
    y = torch.eye(10, dtype=torch.float64)[torch.tensor(digits.target[order])].to(dev)
    shapes = layer_shapes(config)
    gen = ctx.generator("init")
    parts = []
    for shape in shapes:
        if len(shape) == 2:
            parts.append(torch.randn(shape, generator=gen, dtype=torch.float64).flatten() / shape[1] ** 0.5)
        else:
            parts.append(torch.zeros(shape, dtype=torch.float64))
    theta0 = torch.cat(parts).to(dev)
    probe0 = torch.randn(theta0.numel(), generator=ctx.generator("power"), dtype=torch.float64).to(dev)

    def loss_fn(theta: Any) -> Any:
        return square_loss(forward(theta, shapes, x), y)

    lrs = [*config.eos_lrs, config.small_lr]
    runs: dict[str, Any] = {}
    for r, lr in enumerate(lrs):
        eos = r < len(config.eos_lrs)
        # The control trains for the same time η × steps as the largest learning rate, with as many estimates.
        n_steps = config.steps if eos else config.control_steps
        every = config.sharpness_every if eos else max(1, round(config.sharpness_every * n_steps / config.steps))
        theta = theta0.clone()
        vec = probe0.clone()
        losses = []
        sharp_steps, sharp_values = [], []
        for step in range(n_steps + 1):
            if step % every == 0 or step == n_steps:
                iters = config.power_iters * (4 if step == 0 else 1)
                value, vec = top_eigenvalue(loss_fn, theta, vec, iters)
                sharp_steps.append(step)
                sharp_values.append(value)
                ctx.check_cancelled()
                ctx.progress((r + step / n_steps) / len(lrs), f"lr {lr:g}, step {step}")
            point = theta.detach().requires_grad_(True)
            loss = loss_fn(point)
            losses.append(float(loss.detach()))
            if step == n_steps:
                break
            (grad,) = torch.autograd.grad(loss, point)
            theta = theta - lr * grad
            if not torch.isfinite(theta).all():
                break
        threshold = 2 / lr
        settled, drift = settling(sharp_steps, sharp_values, n_steps, config.tail_fraction)
        keep = subsample_indices(len(losses), 400)
        runs[f"{lr:g}"] = {
            "lr": lr,
            "threshold": threshold,
            "steps": n_steps,
            "sharpness_steps": sharp_steps,
            "sharpness": sharp_values,
            "loss_steps": keep,
            "loss": [losses[i] for i in keep],
            "initial_sharpness": sharp_values[0],
            "max_sharpness": max(sharp_values),
            "settled_sharpness": settled,
            "tail_drift": drift,
            "eos": eos,
        }

    metrics: dict[str, Any] = {}
    worst, steepest = 0.0, 0.0
    for key, data in runs.items():
        ratio = data["settled_sharpness"] / data["threshold"] if data["settled_sharpness"] is not None else None
        metrics[f"settled_over_threshold_lr{key}"] = ratio
        metrics[f"initial_over_threshold_lr{key}"] = data["initial_sharpness"] / data["threshold"]
        if data["eos"]:
            worst = max(worst, abs(ratio - 1) if ratio is not None else float("inf"))
            drift = data["tail_drift"]
            steepest = max(steepest, abs(drift) / data["threshold"] if drift is not None else float("inf"))
    metrics["eos_max_rel_gap"] = worst
    metrics["eos_max_tail_drift"] = steepest
    small = runs[f"{config.small_lr:g}"]
    metrics["small_lr_max_over_threshold"] = small["max_sharpness"] / small["threshold"]
    ctx.progress(1.0, "done")
    return {"metrics": metrics, "series": {"runs": runs}}


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Sharpness against training time η × step for each learning rate, with its threshold 2/η as a dashed line.

    Against time, the small learning rate's run (which takes more steps to
    cover the same time) lines up with the large ones.
    """
    from compute.plotting import add_measured, add_theory, finish, new_figure, number

    fig = new_figure("", "Training time η × step", "Sharpness (top Hessian eigenvalue)", y_log=True)
    for i, data in enumerate(result["series"]["runs"].values()):
        times = [data["lr"] * step for step in data["sharpness_steps"]]
        label = f"η = {number(data['lr'])}"
        add_theory(fig, [times[0], times[-1]], [data["threshold"]] * 2, label=label, index=i, dash="dashed")
        add_measured(fig, times, data["sharpness"], label=label, index=i, line=True)
    return finish(fig, theory_label="threshold 2/η", measured_label="sharpness", legend_title="learning rate")


EXPERIMENT = Experiment(
    name="edge_of_stability",
    title="Edge of stability",
    summary="Full-batch gradient descent on a tanh MLP: the top Hessian eigenvalue rises until it reaches 2/lr "
    "and then stays there, while training still makes progress.",
    citation="Cohen, Kaur, Li, Kolter & Talwalkar (2021), Gradient descent on neural networks typically occurs at "
    "the edge of stability, arXiv:2103.00065",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("eos_max_rel_gap", "eos_max_tail_drift", "small_lr_max_over_threshold"),
    claims=CLAIMS,
    gpu_tolerance=1e-3,  # chaotic dynamics at the edge of stability amplify rounding differences
    soft_time_limit_s=1800,
    hard_time_limit_s=2100,
)
