"""Broken: CrossEntropyLoss class weights computed from the class *frequencies* instead of their
inverse, so the majority class gets the largest weight and the rare classes almost none. On an
imbalanced 4-class set (70% / 20% / 7% / 3%) the weighting meant to help the rare classes pushes
the model to predict the majority class even more; the rare classes are almost never predicted.

Source: PRBonn/lidar-bonnetal issue #48 "Calculation of the weights for the loss-function"
(https://github.com/PRBonn/lidar-bonnetal/issues/48), found with the `issues` search
"CrossEntropyLoss weight class counts instead of inverse frequency minority class never
predicted": the code's weights differed from the paper's formula, and a reader points out that
the formula as written "gives bigger weights for the classes with more points".

Reproduction: 12 standardized features, 4 classes with Gaussian class means and priors 0.70,
0.20, 0.07, 0.03; MLP 12-64-64-4, CrossEntropyLoss(weight=frequencies), Adam lr 1e-3, batch 64.
Metric: balanced accuracy (mean per-class recall), the number class weighting is meant to raise.
The fix uses inverse-frequency weights (normalized to mean 1).

Verified (verify.py): the fixed weights reach a much better balanced accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/PRBonn/lidar-bonnetal/issues/48",
    "kind": "broken",
    "bug": "CrossEntropyLoss(weight=class frequencies) instead of inverse frequencies: rare classes get ~no weight",
    "expect": {"ND102": "warn", "ND103": "warn"},
    "consequences": ["ND405"],
}

PRIORS = torch.tensor([0.70, 0.20, 0.07, 0.03])


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    means = 0.9 * torch.randn(4, 12, generator=torch.Generator().manual_seed(31))
    g = torch.Generator().manual_seed(seed)
    y = torch.multinomial(PRIORS, n, replacement=True, generator=g)
    return means[y] + torch.randn(n, 12, generator=g), y


def _train_labels() -> torch.Tensor:
    return _rows(4000, 1)[1]


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(2000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    freq = torch.bincount(_train_labels(), minlength=4).float()
    return nn.CrossEntropyLoss(weight=freq / freq.sum())


def fixed_loss():
    inv = 1.0 / torch.bincount(_train_labels(), minlength=4).float()
    return nn.CrossEntropyLoss(weight=inv / inv.mean())


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def balanced_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    pred = out.argmax(1)
    recalls = [(pred[y == c] == c).float().mean().item() for c in range(4) if (y == c).any()]
    return sum(recalls) / len(recalls)


VERIFY = {
    "metric": balanced_accuracy,
    "epochs": 5,
    "fix": {"build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
