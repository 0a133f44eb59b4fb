"""Healthy: an MLP on imbalanced tabular classes trained with a class-weighted CrossEntropyLoss.

Source: the PyTorch CrossEntropyLoss reference
(https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html), found with the `docs`
search "CrossEntropyLoss weight unbalanced training set": "The `weight` argument ... This is
particularly useful when you have an unbalanced training set."

Setup: 3 Gaussian-blob classes in 12 standardized features with priors 80% / 15% / 5%; a 12-64-64-3
ReLU MLP; CrossEntropyLoss(weight=inverse class frequency, normalized to mean 1); Adam lr 1e-3;
batch 64.

Why it looks suspicious but is healthy: the initial loss is not log(3) (the weights tilt it) and
the model's predictions are pulled away from the majority class on purpose; the rare classes are
still learned.

Verified (verify.py): validation accuracy above the majority-class rate (0.8) after 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
    "kind": "healthy",
    "bug": "healthy: MLP on 80/15/5 imbalanced classes with CrossEntropyLoss(weight=inverse frequency)",
    "expect": {},
    "consequences": [],
}

PRIORS = torch.tensor([0.80, 0.15, 0.05])


def _blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centers = 1.2 * torch.randn(3, 12, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(seed)
    y = torch.multinomial(PRIORS, n, replacement=True, generator=g)
    return centers[y] + torch.randn(n, 12, generator=g), y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))


def build_data():
    x, y = _blobs(4000, 1)
    xv, yv = _blobs(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    w = 1.0 / PRIORS
    return nn.CrossEntropyLoss(weight=w / w.mean())


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.9}
