"""Representation similarity across seeds, measured with linear CKA.

S. Kornblith, M. Norouzi, H. Lee and G. Hinton (2019), "Similarity of neural
network representations revisited", ICML 2019, arXiv:1905.00414. Linear
centred kernel alignment between representations ``X`` (n x p1) and ``Y``
(n x p2) of the same n inputs, after centring each column, is

    CKA(X, Y) = |Y^T X|_F^2 / (|X^T X|_F |Y^T Y|_F).

It is invariant to orthogonal transformations and to isotropic scaling of
either representation, but not to arbitrary invertible linear maps; and it
equals one for identical representations. Kornblith et al. found that
networks trained from different random initialisations learn more similar
representations as they get wider, consistent with a wide-network limit in
which each layer's representation is a deterministic function of the data.

Here two-hidden-layer ReLU MLPs are trained on scikit-learn's digits with
Adam (full batch) from several seeds at each width; linear CKA is computed in
float64 between the same layer of every pair of seeds, on held-out images,
both after training and at initialisation (the same pairs of networks before
their first step). The invariances are checked numerically on the trained
representations.

What training adds. Width alone makes random networks alike: at
initialisation, each layer's Gram matrix over the inputs concentrates on its
infinite-width (NNGP) limit, so cross-seed CKA at initialisation already rises
from about 0.2 to 0.8 (layer 1) and from about 0.1 to 0.7 (layer 2) between
widths 8 and 128 at the smoke preset. The claims therefore separate two
things: trained CKA rises with width at every step (seeds 0-4, both layers),
and training raises CKA above its value at initialisation at every width and
layer (by at least 0.077 over seeds 0-4, the smallest gain being layer 1 at
width 128). The gain is largest at narrow widths (0.25-0.51 at width 8) and
shrinks with width in layer 1 (to 0.08-0.10 at width 128), where
initialisation already accounts for most of the similarity; these numbers
are reported as metrics (``*_gain_over_init_*``) but not claimed. The
standard errors over seed pairs understate the uncertainty somewhat, since
pairs that share a network are not independent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from compute.experiments._numerics import loglog_slope, mean_and_sem
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    widths: list[int] = Field(
        default_factory=lambda: [8, 16, 32, 64, 128],
        min_length=2,
        max_length=10,
        title="Width",
        description="Hidden widths, in units (each 2 to 8192); both hidden layers have the same width.",
    )
    seeds: int = Field(
        3,
        ge=2,
        le=16,
        title="Seeds per width",
        description="Networks trained per width from independent initialisations.",
    )
    steps: int = Field(100, ge=1, le=20_000, title="Steps", description="Full-batch Adam steps.")
    lr: float = Field(5e-3, gt=0.0, le=0.1, title="Learning rate η", description="Adam step size η.")
    train_size: int = Field(
        600,
        ge=50,
        le=1500,
        title="Training images",
        description="Training images (the rest of the 1797 digits are held out).",
    )

    @field_validator("widths")
    @classmethod
    def _widths(cls, value: list[int]) -> list[int]:
        if any(w < 2 or w > 8192 for w in value):
            raise ValueError("each width must be between 2 and 8192")
        if len(set(value)) < 2:
            raise ValueError("need at least two distinct widths")
        return sorted(set(value))


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"widths": [8, 16, 32, 64, 128], "seeds": 3, "steps": 100, "lr": 5e-3, "train_size": 600},
    "full": {
        "widths": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
        "seeds": 6,
        "steps": 2000,
        "lr": 1e-3,
        "train_size": 1200,
    },
}


def _per_layer(metrics: Mapping[str, Any], suffix: str) -> dict[str, float]:
    return {k.removesuffix(suffix): v for k, v in metrics.items() if k.endswith(suffix) and v is not None}


def layers_not_monotone(metrics: Mapping[str, Any]) -> int | None:
    """How many layers' trained cross-seed CKA fails to rise at every step to a larger width."""
    flags = _per_layer(metrics, "_cka_monotone")
    return sum(1 for rises in flags.values() if not rises) if flags else None


def smallest_gain_over_init(metrics: Mapping[str, Any]) -> float | None:
    """The smallest, over layers and widths, of trained cross-seed CKA minus the same pairs' CKA at initialisation."""
    gains = _per_layer(metrics, "_min_gain_over_init")
    return min(gains.values()) if gains else None


CLAIMS = (
    Claim(
        key="invariance",
        text="linear CKA is unchanged by orthogonal maps and isotropic scaling, and CKA(X, X) = 1, to within "
        "{limit:.0e}",
        metric="invariance_max_error",
        op="<",
        limit=1e-5,
    ),
    Claim(
        key="teeth",
        text="a non-orthogonal invertible map changes CKA by more than {limit}, so that check has teeth",
        metric="invertible_map_change",
        op=">",
        limit=0.01,
    ),
    Claim(
        key="grows",
        text="trained same-layer CKA between networks from different seeds rises at every step to a larger width, "
        "in every layer",
        metric="layers whose trained cross-seed CKA does not rise at every width step",
        op="==",
        limit=0,
        derive=layers_not_monotone,
    ),
    Claim(
        key="above_init",
        text="training raises it above the same pairs' CKA at initialisation, which also grows with width, by at "
        "least {limit} at every width and layer",
        metric="smallest, over layers and widths, of trained minus initial CKA",
        op=">=",
        limit=0.05,
        derive=smallest_gain_over_init,
    ),
)


def linear_cka(x: Any, y: Any) -> float:
    """Linear CKA of two representations of the same inputs (rows), computed in float64."""
    import torch

    x = x.to(torch.float64)
    y = y.to(torch.float64)
    x = x - x.mean(dim=0, keepdim=True)
    y = y - y.mean(dim=0, keepdim=True)
    cross = (y.T @ x).norm() ** 2
    return float(cross / ((x.T @ x).norm() * (y.T @ y).norm()))


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train MLPs on digits over seeds and widths; return same-layer CKA across seeds and invariance checks."""
    import itertools

    import torch
    from sklearn.datasets import load_digits

    dev = ctx.device
    digits = load_digits()
    x_all = torch.tensor(digits.data, dtype=torch.float32)
    x_all = (x_all - x_all.mean(0)) / (x_all.std(0) + 1e-6)
    y_all = torch.tensor(digits.target)
    order = torch.tensor(ctx.numpy_rng("split").permutation(len(x_all)))
    tr, te = order[: config.train_size], order[config.train_size :]
    x_tr, y_tr, x_te, y_te = x_all[tr].to(dev), y_all[tr].to(dev), x_all[te].to(dev), y_all[te].to(dev)
    layers = ("hidden1", "hidden2")

    def make(width: int, gen: Any) -> list[Any]:
        def linear(fan_in: int, fan_out: int) -> tuple[Any, Any]:
            w = (torch.randn(fan_out, fan_in, generator=gen) * (2.0 / fan_in) ** 0.5).to(dev).requires_grad_(True)
            return w, torch.zeros(fan_out, device=dev, requires_grad=True)

        return [*linear(64, width), *linear(width, width), *linear(width, 10)]

    def forward(params: list[Any], inputs: Any) -> tuple[Any, dict[str, Any]]:
        w1, b1, w2, b2, w3, b3 = params
        h1 = torch.relu(inputs @ w1.T + b1)
        h2 = torch.relu(h1 @ w2.T + b2)
        return h2 @ w3.T + b3, {"hidden1": h1, "hidden2": h2}

    total = len(config.widths) * config.seeds
    done = 0
    cka: dict[str, list[float]] = {layer: [] for layer in layers}
    cka_init: dict[str, list[float]] = {layer: [] for layer in layers}
    cka_sem: dict[str, list[float]] = {layer: [] for layer in layers}
    cka_init_sem: dict[str, list[float]] = {layer: [] for layer in layers}
    test_acc: list[float] = []
    invariance_errors: list[float] = []
    invertible_change = 0.0
    for width in config.widths:
        reps: list[dict[str, Any]] = []
        reps0: list[dict[str, Any]] = []
        accs = []
        for seed in range(config.seeds):
            params = make(width, ctx.generator(f"init:{width}:{seed}"))
            with torch.no_grad():
                reps0.append({k: v.detach() for k, v in forward(params, x_te)[1].items()})
            opt = torch.optim.Adam(params, lr=config.lr)
            for step in range(config.steps):
                loss = torch.nn.functional.cross_entropy(forward(params, x_tr)[0], y_tr)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if step % 25 == 0:
                    ctx.check_cancelled()
            with torch.no_grad():
                logits, hidden = forward(params, x_te)
            reps.append({k: v.detach() for k, v in hidden.items()})
            accs.append(float((logits.argmax(1) == y_te).float().mean()))
            done += 1
            ctx.progress(done / total, f"width {width}, seed {seed + 1}/{config.seeds}")
        test_acc.append(sum(accs) / len(accs))
        pairs = list(itertools.combinations(range(config.seeds), 2))
        for layer in layers:
            # Standard errors over seed pairs; pairs that share a seed are not independent, so these
            # understate the uncertainty somewhat.
            mean, sem = mean_and_sem([linear_cka(reps[i][layer], reps[j][layer]) for i, j in pairs])
            cka[layer].append(mean)
            cka_sem[layer].append(sem)
            mean, sem = mean_and_sem([linear_cka(reps0[i][layer], reps0[j][layer]) for i, j in pairs])
            cka_init[layer].append(mean)
            cka_init_sem[layer].append(sem)
        # Invariances, on the trained representations of the first two seeds.
        gen = ctx.generator(f"invariance:{width}")
        for layer in layers:
            a, b = reps[0][layer].double().cpu(), reps[1][layer].double().cpu()
            base = linear_cka(a, b)
            q, _ = torch.linalg.qr(torch.randn(width, width, generator=gen, dtype=torch.float64))
            invariance_errors += [
                abs(linear_cka(a @ q, b) - base),
                abs(linear_cka(a, b @ q) - base),
                abs(linear_cka(3.7 * a, b) - base),
                abs(linear_cka(a, 0.05 * b) - base),
                abs(linear_cka(a, a) - 1.0),
            ]
            stretch = torch.diag(torch.logspace(-1, 1, width, dtype=torch.float64))
            invertible_change = max(invertible_change, abs(linear_cka(a @ stretch, b) - base))
    metrics: dict[str, Any] = {
        "invariance_max_error": max(invariance_errors),
        "invertible_map_change": invertible_change,
        "min_test_accuracy": min(test_acc),
    }
    for layer in layers:
        values, initial = cka[layer], cka_init[layer]
        metrics[f"{layer}_cka_smallest_width"] = values[0]
        metrics[f"{layer}_cka_largest_width"] = values[-1]
        metrics[f"{layer}_cka_width_slope"] = loglog_slope(config.widths, values)
        metrics[f"{layer}_cka_monotone"] = all(b > a for a, b in zip(values, values[1:], strict=False))
        metrics[f"{layer}_cka_init_smallest_width"] = initial[0]
        metrics[f"{layer}_cka_init_largest_width"] = initial[-1]
        metrics[f"{layer}_cka_init_width_slope"] = loglog_slope(config.widths, initial)
        gains = [a - b for a, b in zip(values, initial, strict=True)]
        metrics[f"{layer}_min_gain_over_init"] = min(gains)
        metrics[f"{layer}_gain_over_init_smallest_width"] = gains[0]
        metrics[f"{layer}_gain_over_init_largest_width"] = gains[-1]
    return {
        "metrics": metrics,
        "series": {
            "widths": config.widths,
            "cka": cka,
            "cka_init": cka_init,
            "cka_sem": cka_sem,
            "cka_init_sem": cka_init_sem,
            "test_accuracy": test_acc,
        },
    }


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Same-layer CKA across seeds against width (log x), trained and at initialisation, with the limit CKA = 1."""
    from compute.plotting import add_measured, add_rule, field_title, finish, new_figure

    s = result["series"]
    widths = s["widths"]
    fig = new_figure("", field_title(Config, "widths"), "Linear CKA between seeds", x_log=True)
    for i, layer in enumerate(s["cka"]):
        name = f"layer {i + 1}"
        add_measured(
            fig, widths, s["cka"][layer], label=f"{name}, trained", index=2 * i, line=True, spread=s["cka_sem"][layer]
        )
        add_measured(
            fig,
            widths,
            s["cka_init"][layer],
            label=f"{name}, at initialisation",
            index=2 * i + 1,
            spread=s["cka_init_sem"][layer],
        )
    add_rule(fig, 1.0, dimension="width", label="CKA = 1, identical")
    return finish(fig, spread_label="±1 s.e. over seed pairs")


EXPERIMENT = Experiment(
    name="representation_similarity",
    title="Representation similarity across seeds (linear CKA)",
    summary="MLPs trained on digits from different seeds: linear CKA between the same layers is invariant to "
    "rotations and scaling, grows with width, and after training sits above its value at initialisation, which "
    "also grows with width.",
    citation="Kornblith, Norouzi, Lee & Hinton (2019), arXiv:1905.00414",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("invariance_max_error", "hidden1_cka_width_slope", "hidden2_cka_width_slope"),
    claims=CLAIMS,
    gpu_tolerance=1e-3,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
