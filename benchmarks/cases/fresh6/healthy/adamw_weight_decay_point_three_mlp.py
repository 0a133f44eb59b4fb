"""Healthy: an MLP classifier trained with AdamW at weight_decay=0.3, the large decoupled decay of
ViT-style recipes (30x the 0.01 default), with dropout 0.1. With AdamW the decay is applied
directly to the weights (w -= lr * wd * w: 3e-4 of each weight per step here), not added to the
gradient, so it is a mild shrinkage and not the L2 term that dominates a coupled Adam/SGD loss.

Source: "AdamW" note in the zij math reference (https://junaidaliop.github.io/zij/math/adamw/),
found with the `pages` search "AdamW large weight decay 0.1 0.5 works decoupled regularization":
AdamW "removes the decay term from the gradient and instead subtracts eta * lambda * theta directly
from the parameters at each step", so the adaptive moments see only the raw gradient.

Setup: 32 standardized features, 5 classes from a noisy nonlinear rule; MLP 32-128-128-5 with
ReLU and Dropout(0.1); CrossEntropyLoss, AdamW lr 1e-3 weight_decay 0.3, batch 64.

Why healthy: a weight_decay of 0.3 looks like the "decay far too large" bug of coupled L2
(nndoctor's tuning case weight_decay_too_large_logistic uses SGD 0.5); decoupled at lr 1e-3 it
only keeps the weights small.

Verified (verify.py): validation accuracy far above chance (1/5).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://junaidaliop.github.io/zij/math/adamw/",
    "kind": "healthy",
    "bug": "healthy: MLP classifier with AdamW weight_decay 0.3 (decoupled, ViT-style) and dropout 0.1",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(32, 5, generator=torch.Generator().manual_seed(31)) / 32**0.5
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 32, generator=g)
    score = torch.tanh(2 * x @ w) + 0.3 * x[:, :5] ** 2 + 0.3 * torch.randn(n, 5, generator=g)
    return x, score.argmax(1)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(32, 128),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(128, 128),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(128, 5),
    )


def build_data():
    x, y = _rows(5000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.6}
