"""muP and learning-rate transfer across width, against the standard parameterisation.

Theory: G. Yang, E. J. Hu, I. Babuschkin, S. Sidor, X. Liu, D. Farhi, N. Ryder,
J. Pachocki, W. Chen and J. Gao (2022), "Tensor Programs V: Tuning large neural
networks via zero-shot hyperparameter transfer", arXiv:2203.03466; G. Yang and
E. J. Hu (2021), "Feature learning in infinite-width neural networks"
(Tensor Programs IV), arXiv:2011.14522.

ReLU MLPs (64 -> n -> n -> 10) are trained with Adam on digits (cross-entropy,
fixed minibatch sequence) for a fixed number of steps over a grid of learning
rates ``lr``, at several widths ``n``. ``b`` is the base width (the smallest
width in the sweep), where the two parameterisations coincide. Our table
(implemented by hand, no ``mup`` package):

    layer            init std        forward multiplier   Adam learning rate
                     SP     muP      SP     muP           SP     muP
    input  (64->n)   1/8    1/8      1      1             lr     lr
    hidden (n->n)    1/√n   1/√n     1      1             lr     lr * b/n
    output (n->10)   1/√n   1/√b     1      b/n           lr     lr
    biases           0      0        1      1             lr     lr

The muP readout is drawn at the base width's scale, so its effective weights
have std √b/n, of order 1/n as muP prescribes (with std 1/√n they would be of
order n^-1.5, and the coordinate check's logit change shrank like n^-0.4).

Under SP with Adam every hidden coordinate moves by about ``lr`` per step and
a unit's pre-activation by about ``lr * n``, so the best ``lr`` falls like
``1/n``; muP rescales exactly these two effects so that the best ``lr`` does
not move. A run's loss is its minibatch training loss averaged over the last
quarter of its steps. Each (width, lr) is trained from ``draws`` independent
initialisations and minibatch orders; the optimal ``lr`` per width is the
vertex of a parabola fitted to the log of the mean loss over draws against
``log2 lr`` at the grid minimum and two points either side, and its spread is
the standard error of the vertices located in each draw's own curve. The
optimum of one draw moves by up to an octave between draws in the flat basin,
which is why the curves are averaged and the widths span four octaves. The
coordinate check trains a few steps at one learning rate and reports the RMS
change of the last hidden layer's activations and of the logits on a fixed
batch, against width (mean and standard error over the draws).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from compute.experiments._numerics import loglog_slope
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    widths: list[int] = Field(
        default_factory=lambda: [32, 64, 128, 256],
        min_length=3,
        max_length=8,
        title="Width n",
        description="Hidden widths n, in units (at least three, each between 8 and 8192).",
    )
    log2_lrs: list[float] = Field(
        default_factory=lambda: [-11.0, -10.0, -9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0],
        min_length=5,
        max_length=30,
        title="Learning rates, log₂ η",
        description="The learning-rate grid, as base-2 logarithms of η (each in [−24, 2]).",
    )
    steps: int = Field(150, ge=10, le=20000, title="Steps", description="Adam steps per training run.")
    batch: int = Field(128, ge=8, le=1797, title="Batch size", description="Minibatch size, in images.")
    draws: int = Field(
        3,
        ge=1,
        le=16,
        title="Draws",
        description="Independent initialisations and minibatch orders; their final losses are averaged before "
        "the optimum is located.",
    )
    coord_steps: int = Field(
        5,
        ge=1,
        le=100,
        title="Coordinate-check steps",
        description="Steps taken before the coordinate check measures.",
    )
    coord_log2_lr: float = Field(
        -8.0,
        ge=-24,
        le=2,
        title="Coordinate-check log₂ η",
        description="Base-2 logarithm of the coordinate check's learning rate η.",
    )

    @field_validator("widths")
    @classmethod
    def _widths(cls, value: list[int]) -> list[int]:
        if any(w < 8 or w > 8192 for w in value):
            raise ValueError("each width must be between 8 and 8192")
        return sorted(set(value))

    @field_validator("log2_lrs")
    @classmethod
    def _lrs(cls, value: list[float]) -> list[float]:
        if any(v < -24 or v > 2 for v in value):
            raise ValueError("each log2 learning rate must be in [-24, 2]")
        return sorted(set(value))

    @model_validator(mode="after")
    def _budget(self) -> Config:
        if len(self.widths) < 3:
            raise ValueError("at least three distinct widths are needed for a slope")
        cost = sum(w * w for w in self.widths) * len(self.log2_lrs) * self.steps * self.batch * 2 * self.draws
        if cost > 5e14:
            raise ValueError("too much work: reduce widths, steps, batch or the learning-rate grid")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"widths": [32, 64, 128, 256, 512], "steps": 150, "batch": 128, "draws": 2},
    "full": {
        "widths": [64, 128, 256, 512, 1024, 2048],
        "log2_lrs": [v / 2 for v in range(-30, -3)],
        "steps": 2000,
        "batch": 256,
        "draws": 3,
    },
}


CLAIMS = (
    Claim(
        key="sp_drifts",
        text="under SP the optimal Adam learning rate drifts down with width, though less steeply than 1/n "
        "(log-log slope in [{low}, {high}])",
        metric="sp_optimal_lr_slope",
        op="in",
        limit=(-1.0, -0.4),
    ),
    Claim(
        key="mup_stays",
        text="under muP it stays put (slope within ±{limit})",
        metric="mup_optimal_lr_slope",
        op="<=",
        limit=0.15,
        absolute=True,
    ),
    Claim(
        key="mup_hidden_steady",
        text="coordinate check: under muP the last hidden layer moves as much at every width (slope within ±{limit})",
        metric="mup_coord_hidden_slope",
        op="<",
        limit=0.15,
        absolute=True,
    ),
    Claim(
        key="sp_hidden_grows",
        text="under SP it moves more with width (slope in [{low}, {high}])",
        metric="sp_coord_hidden_slope",
        op="in",
        limit=(0.4, 0.8),
    ),
    Claim(
        key="sp_logits_blow_up",
        text="under SP the logits' change grows like n (slope in [{low}, {high}])",
        metric="sp_coord_logit_slope",
        op="in",
        limit=(0.85, 1.15),
    ),
    Claim(
        key="mup_logits_steady",
        text="under muP the logits' change is nearly flat (slope within ±{limit}; it still shrinks a little at "
        "these widths)",
        metric="mup_coord_logit_slope",
        op="<",
        limit=0.25,
        absolute=True,
    ),
)


# The loss of a run is its minibatch training loss averaged over this final fraction of its steps.
LOSS_WINDOW = 0.25


def _init(width: int, base: int, gen: Any) -> dict[str, list[Any]]:
    """One draw of initial weights, as SP and as muP; the two differ only in the readout's scale.

    SP draws the readout with std 1/√n. muP draws it with the base width's std
    1/√b, so that with the multiplier b/n its effective weights have std
    √b/n: order 1/n, as muP prescribes, and equal to SP's at n = b.
    """
    import torch

    common = [
        torch.randn(width, 64, generator=gen) / 8.0,
        torch.zeros(width),
        torch.randn(width, width, generator=gen) / math.sqrt(width),
        torch.zeros(width),
    ]
    readout = torch.randn(10, width, generator=gen)
    return {
        "sp": [*common, readout / math.sqrt(width), torch.zeros(10)],
        "mup": [*common, readout / math.sqrt(base), torch.zeros(10)],
    }


def _forward(params: list[Any], x: Any, out_mult: float) -> tuple[Any, Any]:
    import torch

    h1 = torch.relu(x @ params[0].T + params[1])
    h2 = torch.relu(h1 @ params[2].T + params[3])
    return h2, out_mult * (h2 @ params[4].T) + params[5]


def _train(
    kind: str,
    width: int,
    base: int,
    lr: float,
    steps: int,
    batches: list[Any],
    x: Any,
    y: Any,
    init: list[Any],
    ctx: Context,
    probe: Any = None,
) -> dict[str, Any]:
    import torch

    ratio = base / width
    out_mult = ratio if kind == "mup" else 1.0
    params = [p.clone().requires_grad_(True) for p in init]
    hidden_lr = lr * ratio if kind == "mup" else lr
    groups = [
        {"params": [params[0], params[1], params[3], params[4], params[5]], "lr": lr},
        {"params": [params[2]], "lr": hidden_lr},
    ]
    opt = torch.optim.Adam(groups, foreach=True)
    window_start = steps - max(1, round(LOSS_WINDOW * steps))
    window: list[Any] = []
    before = None
    if probe is not None:
        with torch.no_grad():
            before = _forward(params, probe, out_mult)
    for step in range(steps):
        idx = batches[step % len(batches)]
        _, logits = _forward(params, x[idx], out_mult)
        loss = torch.nn.functional.cross_entropy(logits, y[idx])
        if step >= window_start:
            window.append(loss.detach())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0:
            ctx.check_cancelled()
    late = float(torch.stack(window).mean())
    out: dict[str, Any] = {"loss": late if math.isfinite(late) else None}
    with torch.no_grad():
        if probe is not None and before is not None:
            h_after, l_after = _forward(params, probe, out_mult)
            out["hidden_delta_rms"] = float((h_after - before[0]).pow(2).mean().sqrt())
            out["logit_delta_rms"] = float((l_after - before[1]).pow(2).mean().sqrt())
    return out


def _optimum(log2_lrs: list[float], losses: list[float | None]) -> tuple[float, bool]:
    """Vertex of a least-squares parabola in (log2 lr, log loss) over the grid minimum and two points either side.

    The log of the loss is close to a parabola near the optimum, and five
    points average out some of the noise of a single final loss. Returns the
    vertex (clipped to the fitted window) and whether the minimum sat at the
    grid's edge, where no vertex can be trusted.
    """
    import numpy as np

    finite = [(i, v) for i, v in enumerate(losses) if v is not None and v > 0]
    i_min = min(finite, key=lambda t: t[1])[0]
    if i_min == 0 or i_min == len(losses) - 1:
        return log2_lrs[i_min], True
    window = [i for i in range(i_min - 2, i_min + 3) if 0 <= i < len(losses) and losses[i] is not None]
    xs = np.array([log2_lrs[i] for i in window])
    ys = np.log(np.array([losses[i] for i in window], dtype=float))
    a, b, _ = np.polyfit(xs, ys, 2)
    if a <= 0:
        return log2_lrs[i_min], False
    return float(min(max(-b / (2 * a), xs.min()), xs.max())), False


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Sweep width x learning rate under SP and muP with Adam; fit optimal-lr slopes and run a coordinate check."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    from compute.experiments._numerics import mean_and_sem

    if ctx.device.type == "cpu":
        # Small matrices: one thread beats two on a busy machine.
        torch.set_num_threads(1)
    dev = ctx.device
    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    x = (x - x.mean(dim=0)).to(dev)
    y = torch.tensor(digits.target).to(dev)
    orders = []
    for draw in range(config.draws):
        batch_gen = ctx.generator(f"batches-{draw}")
        orders.append(
            [torch.randperm(x.shape[0], generator=batch_gen)[: config.batch].to(dev) for _ in range(config.steps)]
        )
    probe = x[:256]
    base = min(config.widths)
    lrs = [2.0**v for v in config.log2_lrs]

    # Per kind and width: the final loss of every draw at every learning rate, and the coordinate check per draw.
    per_draw: dict[str, dict[int, list[list[float | None]]]] = {"sp": {}, "mup": {}}
    checks: dict[str, dict[int, dict[str, list[float]]]] = {"sp": {}, "mup": {}}
    total = 2 * len(config.widths) * (len(lrs) + 1) * config.draws
    done = 0
    for width in config.widths:
        for kind in ("sp", "mup"):
            per_draw[kind][width] = []
            checks[kind][width] = {"hidden": [], "logits": []}
        for draw in range(config.draws):
            inits = _init(width, base, ctx.generator(f"init-{width}-{draw}"))
            for kind in ("sp", "mup"):
                init = [p.to(dev) for p in inits[kind]]
                losses = []
                for lr in lrs:
                    losses.append(_train(kind, width, base, lr, config.steps, orders[draw], x, y, init, ctx)["loss"])
                    done += 1
                    ctx.progress(done / total, f"{kind}, width {width}, draw {draw + 1}, lr 2^{math.log2(lr):g}")
                per_draw[kind][width].append(losses)
                check = _train(
                    kind,
                    width,
                    base,
                    2.0**config.coord_log2_lr,
                    config.coord_steps,
                    orders[draw],
                    x,
                    y,
                    init,
                    ctx,
                    probe=probe,
                )
                checks[kind][width]["hidden"].append(check["hidden_delta_rms"])
                checks[kind][width]["logits"].append(check["logit_delta_rms"])
                done += 1

    widths = config.widths
    sweep: dict[str, dict[str, list[float | None]]] = {"sp": {}, "mup": {}}
    optima: dict[str, dict[str, float]] = {"sp": {}, "mup": {}}
    optima_sem: dict[str, dict[str, float]] = {"sp": {}, "mup": {}}
    edge: dict[str, list[int]] = {"sp": [], "mup": []}
    coords: dict[str, dict[str, list[float]]] = {
        k: {"hidden": [], "hidden_sem": [], "logits": [], "logits_sem": []} for k in ("sp", "mup")
    }
    for kind in ("sp", "mup"):
        for width in widths:
            runs = per_draw[kind][width]
            sweep[kind][str(width)] = mean_losses(runs)
            best, at_edge = _optimum(config.log2_lrs, sweep[kind][str(width)])
            optima[kind][str(width)] = best
            # The spread of the optimum: the standard error of the vertices located in each draw's own curve.
            optima_sem[kind][str(width)] = mean_and_sem([_optimum(config.log2_lrs, r)[0] for r in runs])[1]
            if at_edge:
                edge[kind].append(width)
            for what in ("hidden", "logits"):
                mean, sem = mean_and_sem(checks[kind][width][what])
                coords[kind][what].append(mean)
                coords[kind][f"{what}_sem"].append(sem)

    metrics: dict[str, Any] = {}
    for kind in ("sp", "mup"):
        best_lrs = [2.0 ** optima[kind][str(w)] for w in widths]
        metrics[f"{kind}_optimal_lr_slope"] = loglog_slope(widths, best_lrs)
        metrics[f"{kind}_optimum_at_grid_edge"] = len(edge[kind])
        metrics[f"{kind}_optimum_largest_sem"] = float(np.max(list(optima_sem[kind].values())))
        metrics[f"{kind}_coord_hidden_slope"] = loglog_slope(widths, coords[kind]["hidden"])
        metrics[f"{kind}_coord_logit_slope"] = loglog_slope(widths, coords[kind]["logits"])
    ctx.progress(1.0, "done")
    return {
        "metrics": metrics,
        "series": {
            "widths": widths,
            "log2_lrs": config.log2_lrs,
            "losses": sweep,
            "losses_per_draw": {k: {str(w): per_draw[k][w] for w in widths} for k in ("sp", "mup")},
            "optimal_log2_lr": optima,
            # In width order, one list per parameterisation.
            "optimal_log2_lr_sem": {k: [optima_sem[k][str(w)] for w in widths] for k in ("sp", "mup")},
            "coordinate_check": coords,
        },
    }


def mean_losses(runs: list[list[float | None]]) -> list[float | None]:
    """The mean final loss over draws at each learning rate; None where any draw diverged."""
    out: list[float | None] = []
    for values in zip(*runs, strict=True):
        finite = [v for v in values if v is not None]
        out.append(sum(finite) / len(finite) if len(finite) == len(values) else None)
    return out


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """The fitted optimal learning rate against width, and the coordinate check, against width on a log axis.

    The optimum is drawn as log₂ η* with whiskers of one standard error (the
    spread of the optima located in each draw's own loss curve). Theory lines:
    the optimum stays at its base-width value under muP and falls like
    base/width under SP (the Adam scaling argument). The full
    loss-against-learning-rate sweep is in the result.
    """
    from compute.plotting import add_measured, add_theory, field_title, finish, new_figure, stack

    s = result["series"]
    widths = s["widths"]
    base = min(widths)
    width_label = field_title(Config, "widths")
    sems = s.get("optimal_log2_lr_sem")
    top = new_figure("Optimal learning rate", width_label, "Optimal log₂ η*", x_log=True, height=300)
    start = s["optimal_log2_lr"]["mup"][str(base)]
    laws = {"mup": [start] * len(widths), "sp": [start - math.log2(w / base) for w in widths]}
    names = {"mup": "μP: stays put", "sp": "SP: falls like 1/n"}
    for i, kind in enumerate(("mup", "sp")):
        best = [s["optimal_log2_lr"][kind][str(w)] for w in widths]
        spread = sems[kind] if sems else None
        add_theory(top, widths, laws[kind], label=names[kind], index=i, dash="solid" if kind == "mup" else "dashed")
        add_measured(top, widths, best, label=names[kind], index=i, spread=spread)
    draws = config.get("draws")
    spread_label = f"±1 s.e., {draws} draws" if draws else "±1 s.e."
    finish(top, measured_label="fitted optimum", spread_label=spread_label)
    coord_steps = config.get("coord_steps")
    after = f"after {coord_steps} steps" if coord_steps else "after a few steps"
    bottom = new_figure("Coordinate check", width_label, f"RMS change {after}", x_log=True, y_log=True, height=300)
    shown = (("mup", "hidden"), ("sp", "hidden"), ("mup", "logits"), ("sp", "logits"))
    check = s["coordinate_check"]
    for j, (kind, what) in enumerate(shown):
        label = f"{'μP' if kind == 'mup' else 'SP'}: {'last hidden layer' if what == 'hidden' else 'logits'}"
        add_measured(
            bottom, widths, check[kind][what], label=label, index=j, line=True, spread=check[kind].get(f"{what}_sem")
        )
    finish(bottom, spread_label=spread_label)
    return stack(top, bottom)


EXPERIMENT = Experiment(
    name="mup_transfer",
    title="muP and learning-rate transfer",
    summary="Adam on MLPs of growing width: under the standard parameterisation the best learning rate falls "
    "with width, under muP it stays put, and a coordinate check shows why.",
    citation="Yang, Hu, Babuschkin, Sidor, Liu, Farhi, Ryder, Pachocki, Chen & Gao (2022), Tensor Programs V, "
    "arXiv:2203.03466",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("sp_optimal_lr_slope", "mup_optimal_lr_slope"),
    claims=CLAIMS,
    gpu_tolerance=1e-3,
    soft_time_limit_s=3000,
    hard_time_limit_s=3500,
)
