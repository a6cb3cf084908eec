"""More is better: random-feature regression at the optimal ridge improves monotonically with features.

J. B. Simon, D. Karkada, N. Ghosh and M. Belkin (2023), "More is better in
modern machine learning: when infinite overparameterization is optimal and
overfitting is obligatory", arXiv:2311.14646. For random-feature ridge
regression, the test error at the optimally tuned ridge never increases as the
number of features ``p`` grows, so the infinite-feature limit (kernel ridge
regression with the limiting kernel) is best. Without a ridge, the same model
shows the double-descent peak at ``p = n`` (Belkin, Hsu, Ma and Mandal 2019,
"Reconciling modern machine-learning practice and the classical bias-variance
trade-off", arXiv:1812.11118; Mei and Montanari 2019, arXiv:1908.05355).

Data: scikit-learn's digits, standardised, with a constant appended; ``n``
training images drawn at random, and two further disjoint random sets held
out: a validation set, used only to choose the ridge, and a test set, used
only to report the error; targets are centred one-hot labels (ten outputs,
squared error summed over outputs). Features are
``sqrt(2) relu(w · x)`` with ``w ~ N(0, I/D)``; their limiting kernel is the
first-order arc-cosine kernel (Cho and Saul 2009),
``|x||y| (sin θ + (π − θ) cos θ) / (π D)``. For each ``p`` the validation
and test errors are averaged over independent feature draws at every ridge on
a log grid; the "optimal" ridge is the grid point with the smallest mean
validation error, and the reported error is the mean test error at that
ridge (with its standard error over the draws). The kernel limit's ridge is
chosen on the same validation set. The paper's optimal-ridge curves are an
oracle choice; choosing on a separate validation set keeps the test error an
honest estimate, at the price of a little selection noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from compute.experiments._numerics import mean_and_sem
from compute.protocol import Claim, Context, Experiment, ExperimentConfig

POPULATION = 1797  # images in sklearn's digits


class Config(ExperimentConfig):
    train_size: int = Field(
        256,
        ge=16,
        le=1200,
        title="Training images n",
        description="Training images n, drawn at random from the 1797 digits.",
    )
    val_size: int = Field(
        256,
        ge=16,
        le=1200,
        title="Validation images",
        description="Held-out validation images, drawn from the rest, used only to choose the ridge.",
    )
    test_size: int = Field(
        512,
        ge=50,
        le=1781,
        title="Test images",
        description="Held-out test images, drawn from the rest, used only to report the error.",
    )
    features: list[int] = Field(
        default_factory=lambda: [16, 32, 64, 128, 192, 256, 384, 512, 1024, 2048, 4096],
        min_length=4,
        max_length=24,
        title="Features p",
        description="Numbers of random features p (each 1 to 65536); must reach below and above the training images n.",
    )
    trials: int = Field(
        4,
        ge=1,
        le=200,
        title="Feature draws per point",
        description="Independent draws of the random features averaged per number of features.",
    )
    ridge_min: float = Field(
        1e-6, gt=0.0, le=1.0, title="Smallest ridge", description="Smallest ridge of the log-spaced search grid."
    )
    ridge_max: float = Field(
        10.0, gt=0.0, le=1e4, title="Largest ridge", description="Largest ridge of the log-spaced search grid."
    )
    ridge_points: int = Field(
        29, ge=2, le=200, title="Ridges searched", description="Ridges in the log-spaced search grid."
    )
    ridgeless: float = Field(
        1e-8, gt=0.0, le=1e-3, title="Near-zero ridge", description="The tiny ridge of the near-ridgeless curve."
    )

    @field_validator("features")
    @classmethod
    def _features(cls, value: list[int]) -> list[int]:
        if any(p < 1 or p > 65536 for p in value):
            raise ValueError("each number of features must be between 1 and 65536")
        return sorted(set(value))

    @model_validator(mode="after")
    def _interactions(self) -> Config:
        if self.ridge_min >= self.ridge_max:
            raise ValueError("ridge_min must be below ridge_max")
        if self.train_size + self.val_size + self.test_size > POPULATION:
            raise ValueError(f"train_size + val_size + test_size must be at most {POPULATION}")
        if not (min(self.features) < self.train_size < max(self.features)):
            raise ValueError("features must include values below and above train_size")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "train_size": 256,
        "val_size": 256,
        "test_size": 512,
        "features": [16, 32, 64, 128, 192, 256, 384, 512, 1024, 2048, 4096],
        "trials": 4,
    },
    "full": {
        "train_size": 1000,
        "val_size": 285,
        "test_size": 512,
        "features": [32, 64, 125, 250, 500, 750, 1000, 1333, 2000, 4000, 8000, 16000, 32000, 65536],
        "trials": 64,
        "ridge_points": 57,
    },
}


def ridgeless_peak_height(metrics: Mapping[str, Any]) -> float | None:
    """How many times the near-ridgeless peak stands above the lower of the curve's two ends."""
    peak = metrics.get("ridgeless_peak_error")
    ends = (metrics.get("ridgeless_error_smallest_p"), metrics.get("ridgeless_error_largest_p"))
    if peak is None or None in ends:
        return None
    return min(peak / end for end in ends if end is not None)


CLAIMS = (
    Claim(
        key="never_hurt",
        text="at the ridge chosen on a validation set, more features never raise the test error by more than "
        "{limit:.0%}",
        metric="max_relative_rise_optimal",
        op="<=",
        limit=0.02,
    ),
    Claim(
        key="kernel_limit",
        text="at the most features, that test error is within {limit:.0%} of the kernel limit's (its ridge also "
        "chosen on the validation set)",
        metric="relative_gap_largest_p",
        op="<",
        limit=0.05,
        absolute=True,
    ),
    Claim(
        key="peak_at_n",
        text="without a ridge the error peaks where features roughly equal samples (p/n in [{low:g}, {high:g}])",
        metric="ridgeless_peak_over_n",
        op="in",
        limit=(0.5, 2.0),
    ),
    Claim(
        key="peak_height",
        text="that peak stands more than {limit:g} times above both ends of the curve",
        metric="ridgeless peak over the lower end",
        op=">",
        limit=2.0,
        derive=ridgeless_peak_height,
    ),
)


def _errors_for_ridges(k_train: Any, held_out: list[tuple[Any, Any]], y_train: Any, ridges: Any) -> list[Any]:
    """Squared error (summed over outputs, averaged over points) of kernel ridge regression per ridge.

    ``held_out`` lists (kernel against the training points, targets) of each held-out set; one tensor of
    errors per ridge comes back for each.
    """
    import torch

    evals, evecs = torch.linalg.eigh(k_train)
    evals = evals.clamp_min(0)
    proj = evecs.T @ y_train  # n x outputs
    results = []
    for k_eval, y_eval in held_out:
        pred_basis = k_eval @ evecs  # m x n
        out = []
        for ridge in ridges:
            pred = pred_basis @ (proj / (evals + ridge)[:, None])
            out.append(((pred - y_eval) ** 2).sum(dim=1).mean())
        results.append(torch.stack(out))
    return results


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Random-feature ridge regression on digits over feature counts and ridges, against the kernel limit."""
    import math

    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    dev, dt = ctx.device, torch.float64
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=dt)
    x = (x - x.mean(0)) / x.std()  # one global scale keeps the pixel geometry
    x = torch.cat([x, torch.ones(len(x), 1, dtype=dt)], dim=1).to(dev)
    dim = x.shape[1]
    labels = torch.tensor(digits.target)
    y = torch.nn.functional.one_hot(labels, 10).to(dt)
    y = (y - 0.1).to(dev)
    order = ctx.numpy_rng("split").permutation(len(x))
    n_tr, n_va = config.train_size, config.val_size
    train_idx = torch.tensor(order[:n_tr], device=dev)
    val_idx = torch.tensor(order[n_tr : n_tr + n_va], device=dev)
    test_idx = torch.tensor(order[n_tr + n_va : n_tr + n_va + config.test_size], device=dev)
    x_tr, x_va, x_te = x[train_idx], x[val_idx], x[test_idx]
    y_tr, y_va, y_te = y[train_idx], y[val_idx], y[test_idx]
    ridges = torch.tensor(np.geomspace(config.ridge_min, config.ridge_max, config.ridge_points), dtype=dt, device=dev)
    ridge_list = ridges.tolist() + [config.ridgeless]
    all_ridges = torch.tensor(ridge_list, dtype=dt, device=dev)

    def arccos(a: Any, b: Any) -> Any:
        na, nb = a.norm(dim=1), b.norm(dim=1)
        cos = ((a @ b.T) / (na[:, None] * nb[None, :])).clamp(-1.0, 1.0)
        theta = torch.arccos(cos)
        return na[:, None] * nb[None, :] * (torch.sin(theta) + (math.pi - theta) * cos) / (math.pi * dim)

    limit_val, limit = _errors_for_ridges(
        arccos(x_tr, x_tr), [(arccos(x_va, x_tr), y_va), (arccos(x_te, x_tr), y_te)], y_tr, all_ridges
    )
    limit_opt_idx = int(limit_val[:-1].argmin())
    total = len(config.features) * config.trials
    done = 0
    mean_curves = []
    mean_val_curves = []
    draw_curves = []  # per number of features: draws x ridges (test errors)
    for p in config.features:
        acc = torch.zeros(len(ridge_list), dtype=dt, device=dev)
        acc_val = torch.zeros(len(ridge_list), dtype=dt, device=dev)
        draws = []
        for trial in range(config.trials):
            gen = ctx.generator(f"features:{p}:{trial}")
            w = (torch.randn(dim, p, generator=gen, dtype=dt) / dim**0.5).to(dev)
            phi_tr = 2**0.5 * torch.relu(x_tr @ w)
            phi_va = 2**0.5 * torch.relu(x_va @ w)
            phi_te = 2**0.5 * torch.relu(x_te @ w)
            val_errors, errors = _errors_for_ridges(
                phi_tr @ phi_tr.T / p, [(phi_va @ phi_tr.T / p, y_va), (phi_te @ phi_tr.T / p, y_te)], y_tr, all_ridges
            )
            acc += errors
            acc_val += val_errors
            draws.append(errors)
            done += 1
            ctx.check_cancelled()
            ctx.progress(done / total, f"p={p} draw {trial + 1}/{config.trials}")
        mean_curves.append(acc / config.trials)
        mean_val_curves.append(acc_val / config.trials)
        draw_curves.append(torch.stack(draws).cpu())
    curves = torch.stack(mean_curves)  # features x ridges, test errors
    val_curves = torch.stack(mean_val_curves)  # features x ridges, validation errors
    # The ridge is chosen on the validation set; the test set only reports the error at that ridge.
    opt_idx = val_curves[:, :-1].argmin(dim=1)
    optimal = [float(curves[i, int(j)]) for i, j in enumerate(opt_idx)]
    ridgeless = curves[:, -1].tolist()
    # Standard errors over the feature draws, at each curve's ridge.
    optimal_sem = [mean_and_sem(d[:, int(i)].tolist())[1] for d, i in zip(draw_curves, opt_idx, strict=True)]
    ridgeless_sem = [mean_and_sem(d[:, -1].tolist())[1] for d in draw_curves]
    limit_opt = float(limit[limit_opt_idx])
    features = config.features
    worst_rise = max(later / earlier - 1 for earlier, later in zip(optimal, optimal[1:], strict=False))
    gaps = [e - limit_opt for e in optimal]
    peak = int(max(range(len(ridgeless)), key=lambda i: ridgeless[i]))
    return {
        "metrics": {
            "max_relative_rise_optimal": worst_rise,
            "optimal_error_smallest_p": optimal[0],
            "optimal_error_largest_p": optimal[-1],
            "kernel_limit_error": limit_opt,
            "kernel_limit_ridge": ridge_list[limit_opt_idx],
            "relative_gap_smallest_p": gaps[0] / limit_opt,
            "relative_gap_largest_p": gaps[-1] / limit_opt,
            "ridgeless_peak_features": features[peak],
            "ridgeless_peak_over_n": features[peak] / config.train_size,
            "ridgeless_peak_error": ridgeless[peak],
            "ridgeless_error_smallest_p": ridgeless[0],
            "ridgeless_error_largest_p": ridgeless[-1],
            "null_error": float((y_te**2).sum(dim=1).mean()),
        },
        "series": {
            "features": features,
            "optimal_error": optimal,
            "optimal_error_sem": optimal_sem,
            "optimal_ridge": [ridge_list[int(i)] for i in opt_idx],
            "optimal_validation_error": [float(val_curves[i, int(j)]) for i, j in enumerate(opt_idx)],
            "ridgeless_error": ridgeless,
            "ridgeless_error_sem": ridgeless_sem,
            "kernel_limit_error": limit_opt,
            "train_size": config.train_size,
        },
    }


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Test error against number of features (log-log): optimal ridge, near-ridgeless, and the kernel limit."""
    from compute.plotting import add_measured, add_rule, add_theory, field_title, finish, new_figure

    s = result["series"]
    p = s["features"]
    fig = new_figure(
        "", field_title(Config, "features"), "Test error (squared, summed over outputs)", x_log=True, y_log=True
    )
    add_theory(fig, [p[0], p[-1]], [s["kernel_limit_error"]] * 2, label="kernel limit p → ∞", index=2, dash="dashed")
    add_measured(
        fig,
        p,
        s["optimal_error"],
        label="ridge chosen on validation set",
        index=0,
        line=True,
        spread=s.get("optimal_error_sem"),
    )
    add_measured(
        fig, p, s["ridgeless_error"], label="near-zero ridge", index=1, line=True, spread=s.get("ridgeless_error_sem")
    )
    add_rule(fig, s["train_size"], label="p = n")
    trials = config.get("trials")
    return finish(fig, spread_label=f"±1 s.e., {trials} draws" if trials else "±1 s.e.")


EXPERIMENT = Experiment(
    name="more_is_better",
    title="More is better: random features at the optimal ridge",
    summary="Random ReLU-feature ridge regression on digits: at the optimal ridge the test error falls monotonically "
    "towards the kernel limit as features grow, while the near-ridgeless curve peaks where features equal samples.",
    citation="Simon, Karkada, Ghosh & Belkin (2023), arXiv:2311.14646",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("max_relative_rise_optimal", "relative_gap_largest_p", "ridgeless_peak_over_n"),
    claims=CLAIMS,
    gpu_tolerance=1e-6,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
