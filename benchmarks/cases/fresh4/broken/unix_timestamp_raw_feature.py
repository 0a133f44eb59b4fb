"""Broken: a regression MLP whose first input column is the raw Unix timestamp (seconds since
1970, about 1.7e9) next to standardized features.

Source: Computer Science Stack Exchange question 14634 "How to encode date as input in neural
network?" (https://cs.stackexchange.com/questions/14634/how-to-encode-date-as-input-in-neural-network),
found with the `pages` search "unix timestamp as raw input feature neural network not
converging normalize": the asker considers feeding "the time (in milliseconds since
1-1-1970)" directly; the answer explains why a raw, ever-growing time value is a poor input and
suggests cyclic or calendar encodings.

Bug: one input is ~1e9 times larger than the others. The first layer's pre-activations are
dominated by it (~1e8), the initial loss is astronomically large, and Adam's steps of ~lr per
weight cannot bring the timestamp's contribution down to the scale of the target within the
budget, so the useful features stay drowned out. (Stored as float32, the timestamp is also quantized to 128 s steps.)

Reproduction: 3,000 rows with timestamps spread over one year, 6 standardized features; the
target is a nonlinear function of the features plus a weekly cycle (which the timestamp could
carry only through a sin/cos encoding). MLP 7-64-64-1, MSELoss, Adam lr 1e-3, batch 64. The fix
replaces the raw timestamp by the sine and cosine of the time of week.

Verified (verify.py): the fixed features reach a much higher validation R^2 in the same budget.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://cs.stackexchange.com/questions/14634/how-to-encode-date-as-input-in-neural-network",
    "kind": "broken",
    "bug": "raw Unix timestamp (~1.7e9 seconds) as an input column beside standardized features",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND402", "ND403", "ND404"],
}

WEEK = 7 * 24 * 3600.0


def _rows(n: int, seed: int, encode: bool) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(6, generator=torch.Generator().manual_seed(23))
    g = torch.Generator().manual_seed(seed)
    ts = 1.7e9 + torch.rand(n, generator=g, dtype=torch.float64) * 365 * 24 * 3600
    x = torch.randn(n, 6, generator=g)
    phase = 2 * math.pi * torch.remainder(ts, WEEK) / WEEK
    y = torch.tanh(x @ w / 2) + 0.5 * x[:, 0] * x[:, 1] + 0.6 * torch.sin(phase).float()
    y = (y - y.mean()) / y.std()
    if encode:
        cols = torch.stack([torch.sin(phase), torch.cos(phase)], 1).float()
    else:
        cols = ts.float()[:, None]
    return torch.cat([cols, x], 1), y[:, None]


def _data(encode: bool):
    x, y = _rows(3000, 1, encode)
    xv, yv = _rows(600, 2, encode)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(7, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def fixed_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _data(encode=False)


def fixed_data():
    return _data(encode=True)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "r2",
    "epochs": 6,
    "fix": {"build_model": fixed_model, "build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
