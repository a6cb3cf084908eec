"""Grokking modular addition, and the Fourier features behind it.

A. Gromov (2023), "Grokking modular arithmetic", arXiv:2301.02679: a
two-layer network with quadratic activation on one-hot encoded pairs learns
``(a + b) mod p`` and generalises long after it has memorised its training
set; the learned solution is known analytically, each hidden neuron reading a
single Fourier frequency of its inputs. N. Nanda, L. Chan, T. Lieberum, J.
Smith and J. Steinhardt (2023), "Progress measures for grokking via
mechanistic interpretability", arXiv:2301.05217 (ICLR 2023), found the same
Fourier algorithm in a transformer and tracked its formation during training.

Here the network ``logits = W2 (W1 [e_a; e_b])^2`` is trained full-batch with
AdamW (weight decay drives the late, generalising phase) and cross-entropy on
a random fraction of all ``p^2`` pairs. Measured: the steps at which training
accuracy first reaches 1 and test accuracy first reaches 0.9, final test
accuracy, and the power-weighted Fourier purity of the first layer: for each
neuron, the share of its input weights' DFT power (both operands) that lies in
its dominant frequency pair ``±k``, averaged over neurons with weights
proportional to each neuron's total power.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from compute.experiments._numerics import subsample_indices
from compute.protocol import Claim, Context, Experiment, ExperimentConfig


class Config(ExperimentConfig):
    modulus: int = Field(31, ge=5, le=211, title="Modulus p", description="The prime p; the task is (a + b) mod p.")
    width: int = Field(128, ge=8, le=8192, title="Hidden width", description="Units of the quadratic-activation layer.")
    train_fraction: float = Field(
        0.5,
        ge=0.1,
        le=0.9,
        title="Training fraction",
        description="Fraction of all p² pairs used for training.",
    )
    lr: float = Field(5e-3, gt=0.0, le=0.1, title="Learning rate η", description="AdamW step size η.")
    weight_decay: float = Field(
        1.0, ge=0.0, le=10.0, title="Weight decay", description="AdamW's decoupled weight decay."
    )
    steps: int = Field(2000, ge=10, le=200_000, title="Steps", description="Full-batch training steps.")
    eval_every: int = Field(
        25, ge=1, le=10_000, title="Steps between evaluations", description="Steps between accuracy measurements."
    )

    @field_validator("modulus")
    @classmethod
    def _prime(cls, value: int) -> int:
        if any(value % q == 0 for q in range(2, int(value**0.5) + 1)):
            raise ValueError("modulus must be prime")
        return value

    @model_validator(mode="after")
    def _eval(self) -> Config:
        if self.steps // self.eval_every > 20_000:
            raise ValueError("eval_every is too small for this many steps (at most 20000 evaluations)")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "modulus": 31,
        "width": 128,
        "train_fraction": 0.5,
        "lr": 5e-3,
        "weight_decay": 1.0,
        "steps": 2000,
        "eval_every": 25,
    },
    "full": {
        "modulus": 113,
        "width": 512,
        "train_fraction": 0.3,
        "lr": 2e-3,
        "weight_decay": 1.0,
        "steps": 40000,
        "eval_every": 100,
    },
}


CLAIMS = (
    Claim(
        key="delay",
        text="test accuracy reaches 0.9 at least {limit:g} times as late as training accuracy reaches 1",
        metric="grokking_delay_ratio",
        op=">=",
        limit=2.0,
    ),
    Claim(
        key="generalises",
        text="the network ends up generalising: final test accuracy at least {limit}",
        metric="final_test_acc",
        op=">=",
        limit=0.99,
    ),
    Claim(
        key="fourier",
        text="hidden neurons concentrate on one Fourier frequency: power-weighted purity at least {limit} after "
        "training",
        metric="purity_final",
        op=">=",
        limit=0.9,
    ),
    Claim(
        key="fourier_is_learned",
        text="at initialisation the purity is at most {limit}, so the concentration is learned",
        metric="purity_init",
        op="<=",
        limit=0.3,
    ),
)


def fourier_purity(w_in: Any, p: int) -> tuple[float, Any, Any]:
    """Power-weighted purity of first-layer rows (width x 2p), each neuron's purity, and its dominant frequency."""
    import torch

    w_in = w_in.detach().to(torch.float64).cpu()
    power = torch.fft.fft(w_in[:, :p], dim=1).abs() ** 2 + torch.fft.fft(w_in[:, p:], dim=1).abs() ** 2
    half = (p - 1) // 2
    pairs = power[:, 1 : half + 1] + power[:, p - half :].flip(1)  # frequency k together with p - k
    total = power.sum(dim=1)
    best = pairs.max(dim=1)
    purity = best.values / total
    return float((purity * total).sum() / total.sum()), purity, best.indices + 1


def run(config: Config, ctx: Context) -> dict[str, Any]:
    """Train the quadratic network on modular addition; return accuracy curves, grokking times and Fourier purity."""
    import torch

    dev, p, width = ctx.device, config.modulus, config.width
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    y = ((a + b) % p).to(dev)
    x = torch.cat([torch.nn.functional.one_hot(a, p), torch.nn.functional.one_hot(b, p)], dim=1).float().to(dev)
    perm = torch.randperm(p * p, generator=ctx.generator("split")).to(dev)
    n_train = int(round(config.train_fraction * p * p))
    train, test = perm[:n_train], perm[n_train:]
    init = ctx.generator("init")
    w1 = (torch.randn(width, 2 * p, generator=init) / (2 * p) ** 0.5).to(dev).requires_grad_(True)
    w2 = (torch.randn(p, width, generator=init) / width**0.5).to(dev).requires_grad_(True)
    opt = torch.optim.AdamW([w1, w2], lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, 0.98))

    def forward(inputs: Any) -> Any:
        return ((inputs @ w1.T) ** 2) @ w2.T

    purity_init, _, _ = fourier_purity(w1, p)
    steps_log: list[int] = []
    train_acc: list[float] = []
    test_acc: list[float] = []
    train_loss: list[float] = []
    test_loss: list[float] = []
    purity_steps: list[int] = [0]
    purity_curve: list[float] = [purity_init]
    purity_every = max(config.eval_every, config.steps // 40)
    t_train = t_test = None
    for step in range(config.steps + 1):
        if step % config.eval_every == 0 or step == config.steps:
            with torch.no_grad():
                logits = forward(x)
                correct = (logits.argmax(dim=1) == y).float()
                losses = torch.nn.functional.cross_entropy(logits, y, reduction="none")
                tr_acc, te_acc = float(correct[train].mean()), float(correct[test].mean())
            steps_log.append(step)
            train_acc.append(tr_acc)
            test_acc.append(te_acc)
            train_loss.append(float(losses[train].mean()))
            test_loss.append(float(losses[test].mean()))
            if t_train is None and tr_acc >= 1.0:
                t_train = step
            if t_test is None and te_acc >= 0.9:
                t_test = step
            ctx.check_cancelled()
            ctx.progress(step / config.steps, f"step {step}: train {tr_acc:.3f}, test {te_acc:.3f}")
        if step > 0 and step % purity_every == 0:
            purity_steps.append(step)
            purity_curve.append(fourier_purity(w1, p)[0])
        if step == config.steps:
            break
        loss = torch.nn.functional.cross_entropy(forward(x[train]), y[train])
        opt.zero_grad()
        loss.backward()
        opt.step()
    purity_final, per_neuron, freq = fourier_purity(w1, p)
    norms = w1.detach().double().norm(dim=1).cpu()
    freq_power = [0.0] * ((p - 1) // 2)
    for k, nrm in zip(freq.tolist(), norms.tolist(), strict=True):
        freq_power[k - 1] += nrm**2
    keep = subsample_indices(len(steps_log), 400)
    return {
        "metrics": {
            "step_train_acc_1": t_train,
            "step_test_acc_0.9": t_test,
            "grokking_delay_ratio": (t_test / max(t_train, 1))
            if (t_train is not None and t_test is not None)
            else None,
            "final_train_acc": train_acc[-1],
            "final_test_acc": test_acc[-1],
            "purity_init": purity_init,
            "purity_final": purity_final,
            "train_pairs": n_train,
        },
        "series": {
            "steps": [steps_log[i] for i in keep],
            "train_acc": [train_acc[i] for i in keep],
            "test_acc": [test_acc[i] for i in keep],
            "train_loss": [train_loss[i] for i in keep],
            "test_loss": [test_loss[i] for i in keep],
            "purity_steps": purity_steps,
            "purity": purity_curve,
            "neuron_purity": per_neuron.tolist(),
            "neuron_norm": norms.tolist(),
            "frequency_power": freq_power,
        },
    }


def figure(result: dict[str, Any], config: Mapping[str, Any]) -> Any:
    """Accuracy against step (log x) with the grokking times, and the Fourier purity against its analytic value."""
    from compute.plotting import add_measured, add_rule, add_theory, finish, new_figure, stack

    s, m = result["series"], result["metrics"]
    steps = [max(v, 1) for v in s["steps"]]
    modulus = config.get("modulus")
    title = f"Learning (a + b) mod {modulus}" if modulus else "Learning modular addition"
    top = new_figure(title, "Training step", "Accuracy", x_log=True, height=300)
    add_measured(top, steps, s["train_acc"], label="training pairs", index=0, line=True)
    add_measured(top, steps, s["test_acc"], label="held-out pairs", index=1, line=True)
    if m.get("step_train_acc_1"):
        add_rule(top, m["step_train_acc_1"], label="training reaches 1", index=0)
    if m.get("step_test_acc_0.9"):
        add_rule(top, m["step_test_acc_0.9"], label="held-out reaches 0.9", index=1)
    finish(top)
    bottom = new_figure("Neurons settle on one frequency", "Training step", "Fourier purity", x_log=True, height=300)
    p_steps = [max(v, 1) for v in s["purity_steps"]]
    add_theory(bottom, [p_steps[0], p_steps[-1]], [1.0, 1.0], label="analytic solution", index=2, dash="dashed")
    add_measured(bottom, p_steps, s["purity"], label="first layer, power-weighted", index=3, line=True)
    finish(bottom)
    return stack(top, bottom)


EXPERIMENT = Experiment(
    name="grokking",
    title="Modular addition: grokking and Fourier features",
    summary="A quadratic two-layer network on (a + b) mod p memorises first and generalises much later, while "
    "its hidden neurons each concentrate on a single Fourier frequency.",
    citation="Gromov (2023), arXiv:2301.02679; Nanda, Chan, Lieberum, Smith & Steinhardt (2023), arXiv:2301.05217",
    config=Config,
    presets=PRESETS,
    run=run,
    figure=figure,
    agreement_metrics=("grokking_delay_ratio", "final_test_acc", "purity_final"),
    claims=CLAIMS,
    gpu_tolerance=1e-3,
    soft_time_limit_s=900,
    hard_time_limit_s=1080,
)
