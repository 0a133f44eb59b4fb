"""Broken: quadratic regression on raw features [x, x^2] with x up to 100 diverges under SGD.

Source: GitHub issue chiphuyen/stanford-tensorflow-tutorials#54, "03_linear_regression_sol.py for
quadratic case" (https://github.com/chiphuyen/stanford-tensorflow-tutorials/issues/54), found with
the `issues` search: adding the quadratic term made "the loss and parameters became very large so
that the final output is 'nan'"; the poster concluded the learning rate was the reason.

Bug: the features are used raw: x in [0, 100] and x^2 in [0, 1e4]. The squared-error gradient of
the x^2 weight is ~1e4 times that of the bias, so any learning rate small enough for the x^2
weight is useless for the others and anything larger makes the x^2 weight overshoot and grow
geometrically: inf, then NaN. Standardizing the features fixes the conditioning.

Reproduction: house-size-like x ~ U(0, 100), target y = 0.03 x^2 - 2 x + 40 + noise (scaled to
a few tens), a Linear(2, 1) on [x, x^2], MSELoss, SGD lr 1e-4, batch 32.

Verified (verify.py, VERIFIED.md): the training loss overflows to inf/NaN within the first epoch,
while the same model on standardized [x, x^2] with an ordinary step (lr 0.05; the fix) fits the
curve (R^2 near 1). With the raw features no single step size works: lr 1e-4 already diverges
and one small enough for the x^2 weight leaves the bias and x weight at their init.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/chiphuyen/stanford-tensorflow-tutorials/issues/54",
    "kind": "broken",
    "bug": "raw polynomial features [x, x^2] with x up to 100 (feature scales 1e2 and 1e4) trained with SGD",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND204", "ND303", "ND402", "ND403", "ND404"],
}


def _points(n: int, seed: int, standardize: bool):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g) * 100
    y = 0.03 * x**2 - 2 * x + 40 + 3 * torch.randn(n, generator=g)
    feats = torch.stack([x, x**2], 1)
    if standardize:
        feats = (feats - torch.tensor([50.0, 3333.0])) / torch.tensor([28.9, 2981.0])
    return feats, y[:, None]


def _loaders(standardize: bool):
    x, y = _points(1000, 1, standardize)
    xv, yv = _points(200, 2, standardize)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_model() -> nn.Module:
    return nn.Linear(2, 1)


def build_data():
    return _loaders(standardize=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=1e-4)


def fixed_data():
    return _loaders(standardize=True)


def fixed_optimizer(params):
    return torch.optim.SGD(params, lr=0.05)  # unit-scale features take an ordinary step size


VERIFY = {
    "metric": "r2",
    "epochs": 10,
    "fix": {"build_data": fixed_data, "build_optimizer": fixed_optimizer},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.5,
}
