"""Broken: a forecasting MLP is trained on a series whose target column has missing values (NaN).

Source: GitHub issue Nixtla/neuralforecast#186, "silent bug, training with NaNs values"
(https://github.com/Nixtla/neuralforecast/issues/186), found with the `issues` search: "The loss
becomes `nan` during training but it is hard to notice that the problem is in the data."

Bug: a few NaN observations (sensor gaps) remain in the series. Any batch that contains one gives
a NaN loss; backward writes NaN into every weight and from then on every prediction is NaN.

Reproduction: a seasonal daily series (trend + weekly/yearly seasonality + noise, standardized)
with 1% of the values missing as NaN, windows of 28 past values -> next value, a 28-64-64-1 MLP,
MSELoss, Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): the training loss turns NaN within the first batches; with the
gaps interpolated (the fix) the same MLP forecasts well (R^2 on the validation windows).
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Nixtla/neuralforecast/issues/186",
    "kind": "broken",
    "bug": "NaN values (missing observations) in the training targets and inputs of a forecaster",
    "expect": {"ND102": "warn"},
    "consequences": ["ND201", "ND204", "ND402", "ND403", "ND404"],
}


def _series(fill: bool):
    g = torch.Generator().manual_seed(3)
    t = torch.arange(2400.0)
    y = (
        0.002 * t
        + torch.sin(2 * math.pi * t / 7)
        + 0.5 * torch.sin(2 * math.pi * t / 365)
        + 0.3 * torch.randn(2400, generator=g)
    )
    y = (y - y.mean()) / y.std()
    gaps = torch.rand(2400, generator=g) < 0.01
    if fill:  # the fix: linear interpolation over the gaps
        ok = (~gaps).nonzero()[:, 0].float()
        y = torch.from_numpy(__import__("numpy").interp(t.numpy(), ok.numpy(), y[~gaps].numpy())).float()
    else:
        y = y.masked_fill(gaps, float("nan"))
    windows = y.unfold(0, 29, 1)
    return windows[:, :28], windows[:, 28:]


def _loaders(fill: bool):
    x, y = _series(fill)
    n = int(len(x) * 0.8)
    train = DataLoader(
        TensorDataset(x[:n], y[:n]), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    xv, yv = x[n:], y[n:]
    keep = ~(xv.isnan().any(1) | yv.isnan().any(1))  # score on complete validation windows only
    return train, DataLoader(TensorDataset(xv[keep], yv[keep]), batch_size=512)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(28, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _loaders(fill=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(fill=True)


VERIFY = {
    "metric": "r2",
    "epochs": 5,
    "fix": {"build_data": fixed_data},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.3,
}
