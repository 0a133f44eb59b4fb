"""Healthy: a temporal convolutional network (TCN) - stacked residual blocks of dilated causal
Conv1d (dilations 1, 2, 4, 8; left padding then a "chomp" of the extra right samples) - that
forecasts the next value of a noisy multi-periodic signal from a 64-step window, trained with MSE
and Adam.

Source: TU Berlin "Scientific Python" book, chapter 29.3 "Temporal Convolutional Networks (TCN)"
(https://commit-web.commit.tu-berlin.de/en/book/sci-python/chapter/ch29/section/s03), found with the
`pages` search "temporal convolutional network dilated causal conv1d residual pytorch tutorial":
the TCNBlock with padding (k - 1) * d, the chomp that removes future samples, ReLU and the
residual `+ x`.

Setup: sums of two sines with random frequencies/phases plus noise, windows of 64 steps, target
= the next step (standardized scale by construction). Input projection Conv1d(1, 32, 1), four
TCN blocks (kernel 3, dilations 1, 2, 4, 8), the last step's features -> Linear(32, 1). MSELoss,
Adam lr 1e-3, batch 64.

Why healthy: causal padding then cropping, outputs that depend only on the past, a receptive
field grown by dilation, and a residual sum after the ReLU all look unusual; the network is a
standard TCN.

Verified (verify.py): validation R^2 above 0.9 (the untrained residual net already copies the last
value, R^2 ~0.67).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://commit-web.commit.tu-berlin.de/en/book/sci-python/chapter/ch29/section/s03",
    "kind": "healthy",
    "bug": "healthy: TCN of dilated causal Conv1d residual blocks (chomped padding), next-step MSE, Adam",
    "expect": {},
    "consequences": [],
}

WINDOW = 64


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(WINDOW + 1).float()
    f = 0.05 + 0.25 * torch.rand(n, 2, generator=g)
    ph = 6.283 * torch.rand(n, 2, generator=g)
    s = torch.sin(f[:, :1] * t + ph[:, :1]) + 0.5 * torch.sin(f[:, 1:] * t + ph[:, 1:])
    s = s + 0.1 * torch.randn(n, WINDOW + 1, generator=g)
    return s[:, :WINDOW].unsqueeze(1), s[:, WINDOW:]


class TCNBlock(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.chomp = 2 * dilation
        self.conv = nn.Conv1d(channels, channels, 3, padding=self.chomp, dilation=dilation)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x)[:, :, : -self.chomp]) + x


class TCN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Conv1d(1, 32, 1)
        self.blocks = nn.Sequential(*[TCNBlock(32, d) for d in (1, 2, 4, 8)])
        self.out = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.inp(x))[:, :, -1])


def build_model() -> nn.Module:
    return TCN()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 5, "min": 0.9}
