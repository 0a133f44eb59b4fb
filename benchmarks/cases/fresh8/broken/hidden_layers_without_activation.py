"""Broken: an MLP whose hidden layers have no activation function between them
(Linear -> Linear -> Linear). The stack collapses to one linear map, so a class boundary that is
not a straight line (here two concentric rings) cannot be learned, however long it trains.

Source: Cross Validated question 384199 "Effect on a hidden layer without activation"
(https://stats.stackexchange.com/questions/384199/effect-on-a-hidden-layer-without-activation),
found with the `pages` search "ReLU after last linear layer before CrossEntropyLoss classifier
not learning": a hidden layer with ReLU reaches 94%, the same layer without an activation is
no better than a linear model, and the asker cannot see why.

Reproduction: 2-D points on two noisy concentric rings (radius 1 vs 2, classes balanced),
standardized; model Linear(2, 64) -> Linear(64, 64) -> Linear(64, 2) with no nonlinearity,
Adam lr 3e-3, batch 64, CrossEntropyLoss. The fix puts nn.ReLU() after each hidden Linear.

Verified (verify.py): the linear stack stays near 50%; the fixed MLP separates the rings.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://stats.stackexchange.com/questions/384199/effect-on-a-hidden-layer-without-activation",
    "kind": "broken",
    "bug": "stacked Linear layers with no activation between them: the MLP is one linear map (two concentric rings)",
    "expect": {"ND104": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}


def _rings(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    theta = 2 * math.pi * torch.rand(n, generator=g)
    r = 1.0 + y.float() + 0.15 * torch.randn(n, generator=g)
    x = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)
    return x / 1.2, y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 64), nn.Linear(64, 64), nn.Linear(64, 2))


def fixed_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))


def build_data():
    x, y = _rings(2000, 1)
    xv, yv = _rings(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.25,
}
