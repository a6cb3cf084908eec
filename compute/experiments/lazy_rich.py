"""Lazy and rich training: how much a two-layer network's weights and kernel move, against width.

Under the neural tangent (NTK) parameterisation, ``f(x) = a · σ(W x / sqrt(d))
/ sqrt(N)`` trained at a width-independent learning rate, each hidden weight
moves by O(1/sqrt(N)) while the function moves by O(1): the relative change of
the first-layer weights falls like ``N^(-1/2)``, the kernel's at least as fast
(here like ``N^(-1)``, see below), and in the limit training is kernel
regression with a frozen kernel (Jacot, Gabriel and Hongler 2018, "Neural tangent kernel: convergence and
generalization in neural networks", arXiv:1806.07572). Chizat, Oyallon and
Bach (2019, "On lazy training in differentiable programming",
arXiv:1812.07956) showed that this laziness comes from the output scale, and
that the mean-field scaling ``f = a · σ(W x / sqrt(d)) / N`` with a learning
rate growing like ``N`` (Mei, Montanari and Nguyen 2018; Chizat and Bach 2018;
the two-layer case of muP, Yang and Hu 2021, arXiv:2011.14522) keeps the
features moving by O(1) at every width.

Both parameterisations fit the same synthetic regression task by full-batch
gradient descent in float64 for the same training time ``T = lr0 * steps``,
across widths, averaged over independent initialisations. The result reports
the fitted log-log slopes of the relative weight change and the relative
change of the empirical NTK (computed in closed form on the training inputs).

In this two-layer model the NTK's first-order change is a sum over neurons of
terms that are odd in the random readout weights, so it cancels down to
O(1/N): the kernel moves even less than the weights (slope near -1, not
-1/2). Under mean-field scaling both changes stay of order one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from compute.experiments._numerics import loglog_slope, mean_and_sem
from compute.protocol import Claim, Context, Experiment, ExperimentConfig

SCALINGS = ("ntk", "meanfield")
# Measured per width, averaged over initialisations (each reported with its standard error, "<name>_sem").
QUANTITIES = ("weight_change", "kernel_change", "final_loss", "output_change")


class Config(ExperimentConfig):
    widths: list[int] = Field(
        default_factory=lambda: [128, 256, 512, 1024, 2048],
        min_length=4,
        max_length=10,
        title="Width N",
        description="Hidden widths N, in units (at least four, each even, 4 to 65536).",
    )
    input_dim: int = Field(
        8, ge=3, le=512, title="Input dimension d", description="Coordinates of the synthetic Gaussian inputs."
    )
    samples: int = Field(64, ge=4, le=4096, title="Training points n", description="Training points n.")
    lr: float = Field(
        0.5,
        gt=0.0,
        le=4.0,
        title="Base learning rate η₀",
        description="Step size η₀ (multiplied by N under mean-field scaling); training time is T = η₀ × steps.",
    )
    steps: int = Field(100, ge=1, le=100_000, title="Steps", description="Full-batch gradient steps.")
    trials: int = Field(
        2, ge=1, le=64, title="Initialisations per width", description="Independent initialisations averaged per width."
    )

    @field_validator("widths")
    @classmethod
    def _widths(cls, value: list[int]) -> list[int]:
        if any(w < 4 or w > 65536 or w % 2 for w in value):
            raise ValueError("each width must be even and between 4 and 65536")
        if len(set(value)) < 4:
            raise ValueError("need at least four distinct widths")
        return sorted(set(value))


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "widths": [128, 256, 512, 1024, 2048],
        "samples": 64,
        "input_dim": 8,
        "lr": 0.5,
        "steps": 100,
        "trials": 2,
    },
    "full": {
        "widths": [256, 512, 1024, 2048, 4096, 8192, 16384],
        "samples": 256,
        "input_dim": 16,
        "lr": 0.5,
        "steps": 2000,
        "trials": 8,
    },
}


CLAIMS = (
    Claim(
        key="ntk_weights",
        text="under NTK scaling the relative first-layer weight change falls like width^-½ (log-log slope in "
        "[{low}, {high}])",
        metric="ntk_weight_slope",
        op="in",
        limit=(-0.6, -0.4),
    ),
    Claim(
        key="ntk_kernel",
        text="under NTK scaling the empirical tangent kernel's relative change falls like width^-1, faster than the "
        "weights (log-log slope in [{low}, {high}])",
        metric="ntk_kernel_slope",
        op="in",
        limit=(-1.15, -0.85),
    ),
    Claim(
        key="meanfield_weights",
        text="under mean-field scaling the relative weight change stays of order one (slope within ±{limit})",
        metric="meanfield_weight_slope",
        op="<",
        limit=0.15,
        absolute=True,
    ),
    Claim(
        key="meanfield_kernel",
        text="under mean-field scaling the kernel's relative change stays of order one (slope within ±{limit})",
        metric="meanfield_kernel_slope",
        op="<",
        limit=0.15,
        absolute=True,
    ),
)


def _ntk(x: Any, w: Any, a: Any, scale: float) -> Any:
    """Empirical tangent kernel of f = scale * a · tanh(W x / sqrt(d)) on the rows of x."""
    import torch

    d = x.shape[1]
    h = torch.tanh(x @ w.T / d**0.5)
    dh = (1 - h**2) * a
    return scale**2 * (h @ h.T + (dh @ dh.T) * (x @ x.T) / d)


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train both parameterisations at every width; return relative weight and kernel changes and fitted slopes."""
    import torch

    dev, dt = ctx.device, torch.float64
    n, d = config.samples, config.input_dim
    gen = ctx.generator("data")
    x = torch.randn(n, d, generator=gen, dtype=dt).to(dev)
    y = x[:, 0] * x[:, 1] + torch.tanh(2 * x[:, 2])
    total = len(SCALINGS) * len(config.widths) * config.trials
    done = 0
    out: dict[str, dict[str, list[float]]] = {}
    for scaling in SCALINGS:
        rows: dict[str, list[float]] = {k: [] for q in QUANTITIES for k in (q, f"{q}_sem")}
        for width in config.widths:
            scale = width**-0.5 if scaling == "ntk" else 1.0 / width
            lr = config.lr if scaling == "ntk" else config.lr * width
            draws: dict[str, list[float]] = {k: [] for k in QUANTITIES}
            for trial in range(config.trials):
                init = ctx.generator(f"init:{scaling}:{width}:{trial}")
                # Symmetric initialisation (each neuron has a twin with the opposite readout) makes the
                # initial function exactly zero, so the weight change measures learning, not the cancelling
                # of a random initial output (Chizat, Oyallon and Bach 2019 use the same device).
                half_w = torch.randn(width // 2, d, generator=init, dtype=dt)
                half_a = torch.randn(width // 2, generator=init, dtype=dt)
                w = torch.cat([half_w, half_w]).to(dev)
                a = torch.cat([half_a, -half_a]).to(dev)
                w0, k0 = w.clone(), _ntk(x, w, a, scale)
                f0 = scale * torch.tanh(x @ w.T / d**0.5) @ a
                for step in range(config.steps):
                    h = torch.tanh(x @ w.T / d**0.5)
                    r = scale * h @ a - y
                    grad_a = scale * h.T @ r / n
                    grad_w = scale * ((r[:, None] * (1 - h**2)) * a[None, :]).T @ x / (n * d**0.5)
                    a = a - lr * grad_a
                    w = w - lr * grad_w
                    if step % 100 == 0:
                        ctx.check_cancelled()
                f = scale * torch.tanh(x @ w.T / d**0.5) @ a
                k1 = _ntk(x, w, a, scale)
                draws["weight_change"].append(float((w - w0).norm() / w0.norm()))
                draws["kernel_change"].append(float((k1 - k0).norm() / k0.norm()))
                draws["final_loss"].append(float(0.5 * ((f - y) ** 2).mean()))
                draws["output_change"].append(float((f - f0).norm() / n**0.5))
                done += 1
                ctx.progress(done / total, f"{scaling} width {width} trial {trial + 1}")
            for key, values in draws.items():
                mean, sem = mean_and_sem(values)
                rows[key].append(mean)
                rows[f"{key}_sem"].append(sem)
        out[scaling] = rows
    widths = config.widths
    metrics = {
        "ntk_weight_slope": loglog_slope(widths, out["ntk"]["weight_change"]),
        "ntk_kernel_slope": loglog_slope(widths, out["ntk"]["kernel_change"]),
        "meanfield_weight_slope": loglog_slope(widths, out["meanfield"]["weight_change"]),
        "meanfield_kernel_slope": loglog_slope(widths, out["meanfield"]["kernel_change"]),
        "meanfield_weight_change_widest": out["meanfield"]["weight_change"][-1],
        "ntk_weight_change_widest": out["ntk"]["weight_change"][-1],
        "ntk_final_loss_widest": out["ntk"]["final_loss"][-1],
        "meanfield_final_loss_widest": out["meanfield"]["final_loss"][-1],
        "initial_loss": float(0.5 * (y**2).mean()),
        "training_time": config.lr * config.steps,
    }
    return {"metrics": metrics, "series": {"widths": widths, **out}}


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Relative weight and kernel change against width, log-log, with standard errors and the predicted laws.

    The laws are drawn as dashed lines through the widest network's value:
    under NTK scaling 1/√N for the weights and 1/N for the kernel (whose
    first-order change cancels, see the module's docstring), under mean-field
    scaling a constant.
    """
    from compute.plotting import add_measured, add_theory, field_title, finish, new_figure

    s = result["series"]
    widths = s["widths"]
    fig = new_figure("", field_title(Config, "widths"), "Relative change after training", x_log=True, y_log=True)
    curves = [
        ("ntk", "weight_change", "NTK: weights, ∝ 1/√N", -0.5),
        ("ntk", "kernel_change", "NTK: kernel, ∝ 1/N", -1.0),
        ("meanfield", "weight_change", "mean-field: weights, ∝ N⁰", 0.0),
        ("meanfield", "kernel_change", "mean-field: kernel, ∝ N⁰", 0.0),
    ]
    for i, (scaling, key, label, exponent) in enumerate(curves):
        values = s[scaling][key]
        law = [values[-1] * (w / widths[-1]) ** exponent for w in widths]
        add_theory(fig, widths, law, label=label, index=i, dash="dashed")
        add_measured(fig, widths, values, label=label, index=i, spread=s[scaling].get(f"{key}_sem"))
    trials = config.get("trials")
    return finish(fig, spread_label=f"±1 s.e., {trials} seeds" if trials else "±1 s.e.")


EXPERIMENT = Experiment(
    name="lazy_rich",
    title="Lazy and rich training",
    summary="A two-layer network across widths: under NTK scaling the relative weight change falls like 1/√width "
    "and the kernel's like 1/width, under mean-field scaling both stay of order one.",
    citation="Jacot, Gabriel & Hongler (2018), arXiv:1806.07572; Chizat, Oyallon & Bach (2019), arXiv:1812.07956",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("ntk_weight_slope", "ntk_kernel_slope", "meanfield_weight_slope", "meanfield_kernel_slope"),
    claims=CLAIMS,
    gpu_tolerance=1e-6,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
