"""Broken: batch-first sequences fed to an nn.LSTM created without batch_first=True.

Source: GitHub issue pytorch/pytorch#1538, "different result on LSTM whether using batch_first"
(https://github.com/pytorch/pytorch/issues/1538), found with the `issues` search: an MNIST
row-by-row LSTM classifier gave different results with and without batch_first; the model was
built as `nn.LSTM(in_dim, hidden_dim, n_layer)` with the batch_first=True line commented out
while the data stayed [batch, 28 rows, 28 pixels].

Bug: without batch_first the LSTM reads dim 0 as time, so it runs "along the batch": each image's
row t is processed after the previous image's row t, and out[:, -1] (meant as "last time step")
is the state after the last image of the batch. Every prediction depends on the other samples.

Reproduction: synthetic 10-class 28x28 digit-like images as 28-step sequences of 28-pixel rows,
nn.LSTM(28, 64) without batch_first, Linear(64, 10) on out[:, -1, :], CrossEntropyLoss,
Adam lr 2e-3, batch 50.

Verified (verify.py, VERIFIED.md): an image's output changes with its batch-mates, and validation
accuracy stays well below the same model with batch_first=True (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/1538",
    "kind": "broken",
    "bug": "nn.LSTM without batch_first=True fed [batch, time, features]: recurrence runs across the batch",
    "expect": {"ND304": "warn"},
    "consequences": ["ND402", "ND405"],
}


class RowLSTM(nn.Module):
    def __init__(self, batch_first: bool) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, 64, batch_first=batch_first)
        self.classifier = nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.classifier(out[:, -1, :])


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return (x[:, 0] - 0.5) / 0.3, y


def build_model() -> nn.Module:
    return RowLSTM(batch_first=False)


def build_data():
    x, y = _images(1500, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=50)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=2e-3)


def fixed_model() -> nn.Module:
    return RowLSTM(batch_first=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.15,
}
