"""Healthy: an MLP whose Linear layers are reparametrized with
torch.nn.utils.parametrizations.weight_norm (weight = g * v / ||v||, per output unit). The
trainable tensors are `parametrizations.weight.original0` (the magnitudes g) and
`parametrizations.weight.original1` (the directions v); `weight` itself is recomputed on every
forward and is not a parameter.

Source: pytorch/pytorch pull request #103001 "Add parametrization version of weight_norm"
(https://github.com/pytorch/pytorch/pull/103001), found with the `issues` search
"torch.nn.utils.parametrizations.weight_norm weight_g weight_v training": the parametrization-based
weight_norm that replaces the old hook-based one (whose weight_g / weight_v are now original0 /
original1); still used by e.g. HuggingFace Wav2Vec2.

Setup: 16 standardized features, 4 classes from a noisy nonlinear rule; MLP 16-64-64-4 with
weight_norm on all three Linear layers, ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 64.

Why healthy: the parameter names and shapes (a [64, 1] magnitude per layer) look unusual to
checks that read `weight` tensors, and the effective weight is not a leaf, but training is
ordinary.

Verified (verify.py): validation accuracy far above the 1/4 chance level.
"""

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/pull/103001",
    "kind": "healthy",
    "bug": "healthy: MLP with parametrizations.weight_norm on every Linear (original0/original1), Adam",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, 4, generator=torch.Generator().manual_seed(43))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    return x, (torch.tanh(x @ w / 2) + 0.3 * torch.randn(n, 4, generator=g)).argmax(1)


def build_model() -> nn.Module:
    return nn.Sequential(
        weight_norm(nn.Linear(16, 64)),
        nn.ReLU(),
        weight_norm(nn.Linear(64, 64)),
        nn.ReLU(),
        weight_norm(nn.Linear(64, 4)),
    )


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.6}
