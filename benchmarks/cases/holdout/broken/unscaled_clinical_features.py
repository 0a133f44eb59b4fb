"""Broken: a risk model on raw clinical covariates (ages, lab counts in the thousands) diverges.

Source: GitHub issue jaredleekatzman/DeepSurv#14, "loss goes to nan"
(https://github.com/jaredleekatzman/DeepSurv/issues/14), found with the `issues` search: on the
public aids2/flchain data the first training loss was 2.8e10, then NaN; the fix in the thread:
"I recommend trying to normalize your features".

Bug: the covariates are on wildly different raw scales (age ~60, a lab count ~1e3-1e4, a
binary flag 0/1). The first layer's outputs and gradients are dominated by the big-unit columns,
and an SGD step that is fine for unit-scale inputs blows the weights up: the loss explodes to
inf/NaN.

Reproduction: 5 synthetic clinical covariates on those scales whose standardized combination
decides a binary outcome (death within the study window), a 5-32-32-1 MLP with one logit,
BCEWithLogitsLoss (instead of DeepSurv's Cox partial likelihood), SGD lr 0.01, batch 64.

Verified (verify.py, VERIFIED.md): the training loss becomes non-finite or accuracy stays at
the base rate, while the same MLP on standardized covariates (the fix) predicts the outcome.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/jaredleekatzman/DeepSurv/issues/14",
    "kind": "broken",
    "bug": "tabular covariates on raw scales from 0/1 to ~1e4 fed to an MLP without standardization",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND204", "ND303", "ND402", "ND403", "ND404"],
}

SCALES = torch.tensor([60.0, 1500.0, 8000.0, 1.0, 120.0])
SPREADS = torch.tensor([12.0, 600.0, 3000.0, 1.0, 25.0])


def _patients(n: int, seed: int, standardize: bool):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 5, generator=g)
    z[:, 3] = (z[:, 3] > 0).float()
    x = SCALES * (z[:, 3:4] * 0 + 1) + SPREADS * z
    x[:, 3] = z[:, 3]
    risk = 1.2 * z[:, 0] - 1.0 * z[:, 1] + 0.8 * z[:, 2] * z[:, 0] + 1.0 * z[:, 3] - 0.5
    y = (risk + 0.5 * torch.randn(n, generator=g) > 0).float()[:, None]
    if standardize:
        x = (x - SCALES) / SPREADS
        x[:, 3] = z[:, 3]
    return x, y


def _loaders(standardize: bool):
    x, y = _patients(2000, 1, standardize)
    xv, yv = _patients(500, 2, standardize)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def build_data():
    return _loaders(standardize=False)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01)


def fixed_data():
    return _loaders(standardize=True)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 10,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
