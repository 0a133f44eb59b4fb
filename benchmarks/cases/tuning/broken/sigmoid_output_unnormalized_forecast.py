"""Broken: an attention time-series forecaster squashes its output with sigmoid; targets are raw values.

Source: GitHub issue jsyoon0823/Time-series-prediction#3, "better add doc: the model only take
regression target value in [0, 1]" (https://github.com/jsyoon0823/Time-series-prediction/issues/3),
found with the `issues` search: "the outputs is coming from the `sigmoid` ... people may feed any
float number into the model as regression target, but obviously, that won't work"; the author:
"Normalization (with MinMax) is necessary on this."

Bug: a sigmoid output lives in (0, 1) but the targets (raw load values, here 20..80) are far
outside it: the prediction can never be closer than the target minus 1, the sigmoid saturates at
1 and its gradient vanishes, so training stalls with a huge error.

Reproduction: a daily-load-like series (level ~50, weekly cycle, noise) in raw units, windows of
24 values -> next value, a GRU(1, 32) encoder with additive attention over its states and
Linear(32, 1) + sigmoid output (the repository's attention model), MSELoss, Adam lr 1e-2,
batch 64.

Verified (verify.py, VERIFIED.md): validation R^2 stays hugely negative (the outputs are pinned
below 1), while the same model on MinMax-scaled windows and targets (the fix, predictions mapped
back) forecasts the series.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/jsyoon0823/Time-series-prediction/issues/3",
    "kind": "broken",
    "bug": "sigmoid output layer for regression targets in raw units (20..80), far outside (0, 1)",
    "expect": {"ND108": "warn"},
    "consequences": ["ND101", "ND201", "ND402", "ND404", "ND405"],
}

LOW, HIGH = 20.0, 80.0  # MinMax bounds of the series


class AttnForecaster(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.score = nn.Linear(32, 1)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        h, _ = self.gru(x)
        weights = torch.softmax(self.score(torch.tanh(h)), dim=1)
        return torch.sigmoid(self.out((weights * h).sum(1)))


def _windows(scale: bool):
    g = torch.Generator().manual_seed(15)
    t = torch.arange(1500.0)
    y = (
        50
        + 15 * torch.sin(2 * math.pi * t / 7)
        + 5 * torch.sin(2 * math.pi * t / 30)
        + 3 * torch.randn(1500, generator=g)
    )
    if scale:
        y = (y - LOW) / (HIGH - LOW)
    w = y.unfold(0, 25, 1)
    return w[:, :24, None], w[:, 24:]


def _loaders(scale: bool):
    x, y = _windows(scale)
    train = DataLoader(
        TensorDataset(x[:1200], y[:1200]), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(x[1200:], y[1200:]), batch_size=300)


def build_model() -> nn.Module:
    return AttnForecaster()


def build_data():
    return _loaders(scale=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def fixed_data():
    return _loaders(scale=True)


def load_r2(out: torch.Tensor, y: torch.Tensor) -> float:
    if y.max() <= 1.5:  # MinMax-scaled (the fix): back to raw units
        out, y = out * (HIGH - LOW) + LOW, y * (HIGH - LOW) + LOW
    return 1 - ((out - y) ** 2).sum().item() / ((y - y.mean()) ** 2).sum().item()


VERIFY = {
    "metric": load_r2,
    "epochs": 15,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 1.0,
}
