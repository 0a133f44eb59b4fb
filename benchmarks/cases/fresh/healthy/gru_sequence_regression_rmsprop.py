"""Healthy: a GRU forecaster on standardized series, linear head, trained with RMSprop.

Source: the PyTorch nn.GRU reference (https://pytorch.org/docs/stable/generated/torch.nn.GRU.html),
found with the `docs` search "GRU batch_first regression last hidden state": batch_first=True
inputs (batch, seq, feature), h_n of shape (num_layers, batch, hidden).

Setup: noisy sums of two sinusoids with random frequency and phase per sample (standardized),
24 steps in, the next value out; nn.GRU(1, 32, batch_first=True), Linear(32, 1) on h_n[-1]
(taken per sample, no reshape across the batch); MSELoss on [N, 1] vs [N, 1]; RMSprop lr 1e-3;
batch 32.

Why healthy: batch_first matches the data, the head reads each sample's own final state, the
output is linear for standardized targets, target and output shapes match.

Verified (verify.py): validation R^2 well above 0 after 5 epochs.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.GRU.html",
    "kind": "healthy",
    "bug": "healthy: GRU (batch_first) next-value forecaster, linear head on h_n[-1], RMSprop",
    "expect": {},
    "consequences": [],
}

STEPS = 24


def _series(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(STEPS + 1, dtype=torch.float32)
    f = 0.1 + 0.4 * torch.rand(n, 2, generator=g)
    ph = 2 * math.pi * torch.rand(n, 2, generator=g)
    s = torch.sin(f[:, :1] * t + ph[:, :1]) + 0.5 * torch.sin(f[:, 1:] * t + ph[:, 1:])
    s = (s + 0.05 * torch.randn(n, STEPS + 1, generator=g)) / 0.8
    return s[:, :STEPS, None], s[:, STEPS:]


class GRUForecaster(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x)
        return self.head(h[-1])


def build_model() -> nn.Module:
    return GRUForecaster()


def build_data():
    x, y = _series(2000, 1)
    xv, yv = _series(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 5, "min": 0.6}
