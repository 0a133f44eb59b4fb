"""Healthy: a small CNN trained with nn.CrossEntropyLoss(label_smoothing=0.1).

Source: pytorch/pytorch issue #7455 "[Feature Request] Label Smoothing for CrossEntropyLoss"
(https://github.com/pytorch/pytorch/issues/7455), found with the `issues` search
"CrossEntropyLoss label_smoothing argument"; the option it asked for shipped in PyTorch 1.10 and
is the standard ImageNet-recipe regularizer.

Setup: synthetic 10-class 1x16x16 images (class templates + noise), two conv blocks + Linear,
CrossEntropyLoss(label_smoothing=0.1), SGD lr 0.05 momentum 0.9, batch 64.

Why it looks suspicious but is healthy: with smoothing the loss can never reach zero (its floor
is the entropy of the smoothed targets, about 0.5 nats here), so a tiny subset cannot be fit to
zero loss, yet accuracy reaches 100% and generalizes.

Verified (verify.py): validation accuracy well above chance after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/7455",
    "kind": "healthy",
    "bug": "healthy: small CNN with CrossEntropyLoss(label_smoothing=0.1), SGD momentum",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 4, 4, generator=torch.Generator().manual_seed(31)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = protos[y] + 0.3 * torch.randn(n, 1, 16, 16, generator=g)
    return (x - 0.5) / 0.35, y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def build_data():
    x, y = _images(3000, 1)
    xv, yv = _images(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss(label_smoothing=0.1)


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.8}
