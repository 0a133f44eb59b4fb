"""Healthy: a regression MLP with BatchNorm trained with nn.HuberLoss (delta 1) on targets with
heavy-tailed noise, SGD with Nesterov momentum.

Source: the torch.nn.HuberLoss reference (https://PyTorch.org/docs/stable/generated/torch.nn.HuberLoss.html),
found with the `docs` search "torch.nn.HuberLoss delta robust regression outliers": "the
delta-scaled L1 region makes the loss less sensitive to outliers than MSELoss, while the L2 region
provides smoothness over L1Loss near 0".

Setup: 12 standardized features; the target is a smooth nonlinear function of them (scale ~1)
plus Student-t noise with 2 degrees of freedom (rare errors of 10 or more); MLP 12-64-64-1 with
BatchNorm1d after each hidden Linear; HuberLoss(delta=1.0) on [N, 1] vs [N, 1]; SGD lr 0.01
momentum 0.9 nesterov; batch 64. The metric is R^2 against the noise-free function on the
validation set (the validation targets carry no noise).

Why healthy: a robust loss for outlier-laden targets, standardized inputs, a linear output for
an unbounded target, matching shapes, BatchNorm with batches of 64.

Verified (verify.py): validation R^2 well above 0 after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://PyTorch.org/docs/stable/generated/torch.nn.HuberLoss.html",
    "kind": "healthy",
    "bug": "healthy: BatchNorm MLP regressor with HuberLoss on heavy-tailed (Student-t) target noise, SGD Nesterov",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int, noisy: bool) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, generator=torch.Generator().manual_seed(29)) / 12**0.5
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    f = torch.sin(2 * x @ w) + 0.5 * x[:, 1] * x[:, 2] + 0.3 * x[:, 3]
    if noisy:
        chi = (torch.randn(n, 2, generator=g) ** 2).sum(1)
        f = f + 0.3 * torch.randn(n, generator=g) / (chi / 2).sqrt()
    return x, f[:, None]


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(12, 64), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Linear(64, 1),
    )  # fmt: skip


def build_data():
    x, y = _rows(4000, 1, noisy=True)
    xv, yv = _rows(800, 2, noisy=False)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.HuberLoss(delta=1.0)


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True)


VERIFY = {"metric": "r2", "epochs": 6, "min": 0.6}
