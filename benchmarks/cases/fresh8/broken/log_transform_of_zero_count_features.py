"""Broken: skewed count features log-transformed with ``torch.log(x)`` although some counts are
exactly 0: those entries become -inf, the first Linear layer turns them into -inf/NaN, and the
loss is NaN from the first batch on.

Source: wfondrie/mokapot pull request #60 "Fix missing values caused by logging"
(https://github.com/wfondrie/mokapot/pull/60), found with the `issues` search "log transform
feature containing zeros produces -inf, model loss becomes nan": a user "saw missing values ...
seemingly caused by log-transforming features with zeros in them"; the patch only
log-transforms features with values > 0.

Reproduction: 6 Poisson count features (rates 0.5-8, so zeros are common), log-transformed in
build_data; the binary label depends on the log counts. MLP 6-32-1, BCEWithLogitsLoss on [N, 1]
float targets, Adam lr 1e-3, batch 64. The fix uses torch.log1p.

Verified (verify.py): the loss is NaN from the first step; the log1p control trains.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/wfondrie/mokapot/pull/60",
    "kind": "broken",
    "bug": "torch.log of count features that contain zeros: -inf inputs, NaN loss from the first batch",
    "expect": {"ND102": "warn", "ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}

RATES = torch.tensor([0.5, 1.0, 2.0, 3.0, 5.0, 8.0])


def _counts(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    c = torch.poisson(RATES.expand(n, 6), generator=g)
    w = torch.tensor([1.0, -1.0, 0.8, -0.6, 0.5, -0.4])
    score = torch.log1p(c) @ w - (torch.log1p(RATES) @ w)
    y = (score + 0.3 * torch.randn(n, generator=g) > 0).float().unsqueeze(1)
    return c, y


def _loaders(transform):
    c, y = _counts(3000, 1)
    cv, yv = _counts(1000, 2)
    train = DataLoader(
        TensorDataset(transform(c), y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(transform(cv), yv), batch_size=500)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))


def build_data():
    return _loaders(torch.log)


def fixed_data():
    return _loaders(torch.log1p)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "auc",
    "epochs": 4,
    "fix": {"build_data": fixed_data},
    "claims": ["nonfinite"],
}
