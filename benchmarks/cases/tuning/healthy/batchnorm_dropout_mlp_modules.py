"""Healthy: a tabular MLP with BatchNorm1d and nn.Dropout modules (dropout off in eval), batch 64.

Source: GitHub pull request Academic-Hammer/SciTSR#16, "Use `nn.Module` instead of functional
dropout layer" (https://github.com/Academic-Hammer/SciTSR/pull/16), found with the `issues`
search: replacing functional dropout with nn.Dropout modules so that model.eval() disables
dropout at inference; pytorch/pytorch#26338 documents the same rule.

Setup: 24 standardized features, 5 classes (non-linear), Linear(24, 128) -> BatchNorm1d -> ReLU
-> nn.Dropout(0.3) -> Linear(128, 64) -> BatchNorm1d -> ReLU -> nn.Dropout(0.3) -> Linear(64, 5);
CrossEntropyLoss; Adam lr 1e-3 weight_decay 1e-4; batch 64 with drop_last=True.

Why healthy: BatchNorm sees 64 samples per batch (and never a batch of 1), dropout layers are
modules that follow model.train()/eval(), regularization is moderate.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Academic-Hammer/SciTSR/pull/16",
    "kind": "healthy",
    "bug": "healthy: MLP with BatchNorm1d and nn.Dropout modules, batch 64, Adam wd 1e-4",
    "expect": {},
    "consequences": [],
}


def _table(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 24, generator=g)
    w = torch.randn(24, 5, generator=torch.Generator().manual_seed(16))
    scores = x @ w + 2 * torch.tanh(x[:, :5] * x[:, 5:10])
    return x, scores.argmax(1)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(24, 128),
        nn.BatchNorm1d(128),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(128, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(64, 5),
    )


def build_data():
    x, y = _table(3000, 1)
    xv, yv = _table(600, 2)
    train = DataLoader(
        TensorDataset(x, y), batch_size=64, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, weight_decay=1e-4)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.6}
