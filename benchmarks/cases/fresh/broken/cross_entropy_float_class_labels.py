"""Broken: class labels stored as float are passed to nn.CrossEntropyLoss (crash at the first step).

Source: burlachenkok/flpytorch pull request #14 "Fix #12: PyTorch expects Long rather than Double
or Float when computing CrossEntropyLoss" (https://github.com/burlachenkok/flpytorch/pull/14),
found with the `issues` search "CrossEntropyLoss expected scalar type Long but found Float
labels": "simulations crash when attempting to calculate the Cross Entropy Loss. The labels must
be in Long format, but they're passed into the function as floating points by default."

Bug: with a [N] float target CrossEntropyLoss neither sees class indices (which must be integer)
nor class probabilities (which must have the input's [N, C] shape) and raises a RuntimeError.

Reproduction: a federated-learning-style client model, a 2-hidden-layer MLP on 20 standardized
tabular features, 5 classes; the dataset keeps labels as float32 (as read from a feature matrix,
`TensorDataset(x, y.float())`); CrossEntropyLoss; SGD lr 0.1; batch 32.

Verified (verify.py): training raises at the first step.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/burlachenkok/flpytorch/pull/14",
    "kind": "broken",
    "bug": "class labels kept as float32 [N] and passed to nn.CrossEntropyLoss (RuntimeError)",
    "expect": {"ND102": "warn", "ND103": "warn"},
    "consequences": [],
}


def _tabular(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centers = 1.5 * torch.randn(5, 20, generator=torch.Generator().manual_seed(29))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 5, (n,), generator=g)
    return centers[y] + torch.randn(n, 20, generator=g), y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))


def build_data():
    x, y = _tabular(2000, 1)
    xv, yv = _tabular(400, 2)
    train = DataLoader(
        TensorDataset(x, y.float()), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(xv, yv.float()), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


VERIFY = {"metric": "accuracy", "epochs": 1, "claims": ["crash"]}
