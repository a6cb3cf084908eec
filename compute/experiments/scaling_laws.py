"""Scaling laws of loss with data and with features in a solvable linear model.

Theory: Y. Bahri, E. Dyer, J. Kaplan, J. Lee and U. Sharma (2021), "Explaining
neural scaling laws", arXiv:2102.06701; A. Maloney, D. A. Roberts and J. Sully
(2022), "A solvable model of neural scaling laws", arXiv:2210.16859. The
deterministic-equivalent formulas are those of kernel ridge regression
(Bordelon, Canatar and Pehlevan 2020, arXiv:2002.02561; Simon et al. 2021,
arXiv:2110.03922) and of random projections (Bach 2023, arXiv:2303.01372).

Data are Gaussian vectors in ``dim`` dimensions with covariance eigenvalues
``lambda_i = i^-(1 + alpha)``; the target is ``y = w . x`` with every
``w_i = 1``, so the target's power in mode ``i`` is ``v_i^2 = lambda_i``.

* Loss against data size ``n`` (features plentiful): least squares on all
  ``dim`` coordinates with the minimum-norm solution (``n < dim``), excess
  population loss ``(w_hat - w)^T Lambda (w_hat - w)``, averaged over draws.
  Theory: ``kappa`` solves ``n = sum_i lambda_i/(lambda_i + kappa)``,
  ``E = n/(n - sum L_i^2) * sum (1 - L_i)^2 v_i^2`` with ``L_i = lambda_i/(lambda_i + kappa)``.
* Loss against the number of features ``p`` (data plentiful, i.e. the
  population optimum): features ``F x`` with a ``p x dim`` Gaussian ``F``, loss
  of the best linear predictor on them, averaged over draws of ``F``. Theory:
  ``kappa`` solves ``p = sum_i lambda_i/(lambda_i + kappa)`` and
  ``E = sum_i v_i^2 kappa/(lambda_i + kappa)``.

Both fall as a power ``-alpha`` of ``n`` or ``p`` (the sum of ``v_i^2`` beyond
the ``n``-th mode). The theory curve is computed from the true, finite spectrum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from compute.experiments._numerics import loglog_slope, solve_kappa
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    alpha: float = Field(
        1.0,
        ge=0.3,
        le=3.0,
        title="Spectral exponent α",
        description="The data covariance's eigenvalues fall as λᵢ = i^−(1+α); the loss is predicted to fall as "
        "n^−α and p^−α.",
    )
    dim: int = Field(
        2000, ge=64, le=20000, title="Input dimension", description="Coordinates of the data (the spectrum's length)."
    )
    sizes: list[int] = Field(
        default_factory=lambda: [16, 32, 64, 128, 256],
        min_length=3,
        max_length=12,
        title="Samples n or features p",
        description="Training-set sizes n and feature counts p (each at most a quarter of the input dimension).",
    )
    trials: int = Field(
        8,
        ge=1,
        le=200,
        title="Draws at the largest size",
        description="Random draws at the largest size; a size m gets trials × min(16, largest size / m) draws, "
        "since small sizes are cheap and fluctuate most.",
    )

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, value: list[int]) -> list[int]:
        if any(v < 2 for v in value):
            raise ValueError("each size must be at least 2")
        return sorted(set(value))

    @model_validator(mode="after")
    def _fits(self) -> Config:
        if max(self.sizes) * 4 > self.dim:
            raise ValueError("the largest size must be at most dim / 4 (features plentiful)")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"alpha": 1.0, "dim": 2000, "sizes": [16, 32, 64, 128, 256], "trials": 8},
    "full": {"alpha": 1.0, "dim": 20000, "sizes": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096], "trials": 64},
}


CLAIMS = (
    Claim(
        key="data_exponent",
        text="the fitted exponent of loss against data is within {limit} of −alpha",
        metric="data_exponent_error",
        op="<",
        limit=0.1,
    ),
    Claim(
        key="feature_exponent",
        text="the fitted exponent of loss against features is within {limit} of −alpha",
        metric="feature_exponent_error",
        op="<",
        limit=0.1,
    ),
    Claim(
        key="data_curve",
        text="every point of loss against data is within {limit:.0%} of the deterministic-equivalent curve",
        metric="data_max_rel_error",
        op="<",
        limit=0.15,
    ),
    Claim(
        key="feature_curve",
        text="every point of loss against features is within {limit:.0%} of the deterministic-equivalent curve",
        metric="feature_max_rel_error",
        op="<",
        limit=0.15,
    ),
)


def theory_data(lam: Any, v2: Any, n: float) -> float:
    """Deterministic-equivalent excess loss of min-norm least squares on n samples (numpy arrays)."""
    kappa = solve_kappa(lam, n, 0.0)
    learn = lam / (lam + kappa)
    return n / (n - float((learn**2).sum())) * float(((1 - learn) ** 2 * v2).sum())


def theory_features(lam: Any, v2: Any, p: float) -> float:
    """Deterministic-equivalent population loss of the best predictor on p random projections."""
    kappa = solve_kappa(lam, p, 0.0)
    return float((v2 * kappa / (lam + kappa)).sum())


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Measure loss against data size and against feature count, and compare with the theory curves."""
    import numpy as np
    import torch

    dev = ctx.device
    dim = config.dim
    if dev.type == "cpu":
        # Small matrices and many small solves: on a busy two-core machine one
        # thread did the same work in a third of the CPU time of two.
        torch.set_num_threads(1)
    lam_t = torch.arange(1, dim + 1, dtype=torch.float64, device=dev).pow(-(1 + config.alpha))
    w = torch.ones(dim, dtype=torch.float64, device=dev)
    lam = lam_t.cpu().numpy()
    v2 = lam * 1.0
    gen = ctx.generator("data", device=dev if dev.type == "cuda" else None)
    sizes = config.sizes
    draws = {m: config.trials * min(16, max(sizes) // m) for m in sizes}
    total = 2 * sum(draws.values())
    done = 0

    data_loss, data_sem = [], []
    for n in sizes:
        losses = []
        for _ in range(draws[n]):
            ctx.check_cancelled()
            x = torch.randn(n, dim, generator=gen, dtype=torch.float64, device=dev) * lam_t.sqrt()
            y = x @ w
            w_hat = x.T @ torch.linalg.solve(x @ x.T, y)
            err = w_hat - w
            losses.append(float((err * lam_t * err).sum()))
            done += 1
            ctx.progress(done / total, f"data: n = {n}")
        data_loss.append(float(np.mean(losses)))
        data_sem.append(float(np.std(losses, ddof=1) / math.sqrt(len(losses))) if len(losses) > 1 else 0.0)

    feat_loss, feat_sem = [], []
    for p in sizes:
        losses = []
        for _ in range(draws[p]):
            ctx.check_cancelled()
            f = torch.randn(p, dim, generator=gen, dtype=torch.float64, device=dev)
            f_lam = f * lam_t  # F Lambda
            gram = f_lam @ f.T  # F Lambda F^T
            cross = f_lam @ w  # F Lambda w
            explained = float(cross @ torch.linalg.solve(gram, cross))
            losses.append(float((w * lam_t * w).sum()) - explained)
            done += 1
            ctx.progress(done / total, f"features: p = {p}")
        feat_loss.append(float(np.mean(losses)))
        feat_sem.append(float(np.std(losses, ddof=1) / math.sqrt(len(losses))) if len(losses) > 1 else 0.0)

    th_data = [theory_data(lam, v2, n) for n in sizes]
    th_feat = [theory_features(lam, v2, p) for p in sizes]
    lo, hi = min(sizes), max(sizes)
    dense = sorted({lo * (hi / lo) ** (k / 39) for k in range(40)})
    metrics = {
        "predicted_exponent": -config.alpha,
        "data_exponent": loglog_slope(sizes, data_loss),
        "feature_exponent": loglog_slope(sizes, feat_loss),
        "theory_curve_data_exponent": loglog_slope(sizes, th_data),
        "data_max_rel_error": max(abs(m - t) / t for m, t in zip(data_loss, th_data, strict=True)),
        "feature_max_rel_error": max(abs(m - t) / t for m, t in zip(feat_loss, th_feat, strict=True)),
    }
    metrics["data_exponent_error"] = abs(metrics["data_exponent"] + config.alpha)
    metrics["feature_exponent_error"] = abs(metrics["feature_exponent"] + config.alpha)
    ctx.progress(1.0, "done")
    return {
        "metrics": metrics,
        "series": {
            "sizes": sizes,
            "data_loss": data_loss,
            "data_sem": data_sem,
            "feature_loss": feat_loss,
            "feature_sem": feat_sem,
            "theory_data": th_data,
            "theory_features": th_feat,
            "dense": dense,
            "theory_data_dense": [theory_data(lam, v2, m) for m in dense],
            "theory_features_dense": [theory_features(lam, v2, m) for m in dense],
        },
    }


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Loss against n and against p on log-log axes: theory lines, measured means with standard errors."""
    from compute.plotting import add_measured, add_theory, field_title, finish, new_figure, number

    s = result["series"]
    alpha = -result["metrics"]["predicted_exponent"]
    fig = new_figure("", field_title(Config, "sizes"), "Loss", x_log=True, y_log=True)
    add_theory(fig, s["dense"], s["theory_data_dense"], label="against samples n", index=0)
    add_measured(fig, s["sizes"], s["data_loss"], label="against samples n", index=0, spread=s["data_sem"])
    add_theory(fig, s["dense"], s["theory_features_dense"], label="against features p", index=1, dash="dashed")
    add_measured(fig, s["sizes"], s["feature_loss"], label="against features p", index=1, spread=s["feature_sem"])
    ref = [s["theory_data_dense"][0] * (x / s["dense"][0]) ** (-alpha) for x in s["dense"]]
    add_theory(fig, s["dense"], ref, label=f"power law, slope −{number(alpha)}", index=2, dash="dotted")
    return finish(fig, spread_label="±1 s.e. over draws")


EXPERIMENT = Experiment(
    name="scaling_laws",
    title="Scaling laws in a solvable model",
    summary="Linear regression on data with a power-law spectrum: loss falls as a power of the number of samples "
    "and of the number of random features, with the exponent and the whole curve predicted from the spectrum.",
    citation="Bahri, Dyer, Kaplan, Lee & Sharma (2021), arXiv:2102.06701; Maloney, Roberts & Sully (2022), "
    "arXiv:2210.16859",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("data_exponent_error", "feature_exponent_error", "data_max_rel_error", "feature_max_rel_error"),
    claims=CLAIMS,
    gpu_tolerance=1e-6,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
