"""Broken: a hand-written SGD optimizer whose zero_grad() does nothing; gradients pile up.

Source: GitHub issue Miraclelucy/dive_into_deep_learning#6, "提个问题，ch02的04" (a question about
chapter 2 section 4) (https://github.com/Miraclelucy/dive_into_deep_learning/issues/6), found with
the `issues` search: "without optimizer.zero_grad() the accuracy gets lower and lower with training
until it reaches 10%"; likewise yueliu1999/HSAN#6 ("self.optimizer.zero_grad() is not used. The
model is not converging").

Bug: backward() adds into .grad. A custom optimizer (written for a course exercise) implements
step() but overrides zero_grad() with a no-op, so the training loop's optimizer.zero_grad() call
does nothing: after k steps each update is the sum of all k past gradients, the effective step
grows without bound and training falls apart.

Reproduction: synthetic 10-class 28x28 digit-like images, a 784-256-10 ReLU MLP,
CrossEntropyLoss, the custom `PlainSGD(params, lr=0.1)` with a do-nothing zero_grad(), batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy ends far below (about a third of) what the
same optimizer with a working zero_grad() (the fix) reaches.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Miraclelucy/dive_into_deep_learning/issues/6",
    "kind": "broken",
    "bug": "optimizer subclass whose zero_grad() is a no-op: gradients accumulate across steps",
    "expect": {"ND305": "warn"},
    "consequences": ["ND303", "ND402", "ND403", "ND404", "ND405"],
}


class PlainSGD(torch.optim.Optimizer):
    """Minimal SGD from the exercise: p -= lr * p.grad."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"])

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass  # BUG: "gradients are reset in step()" -- they are not


class FixedSGD(PlainSGD):
    def zero_grad(self, set_to_none: bool = True) -> None:
        torch.optim.Optimizer.zero_grad(self, set_to_none)


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.flatten(1), y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return PlainSGD(params, lr=0.1)


def fixed_optimizer(params):
    return FixedSGD(params, lr=0.1)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.4,
}
