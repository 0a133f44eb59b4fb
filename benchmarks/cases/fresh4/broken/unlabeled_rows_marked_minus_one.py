"""Broken: a classification table where unlabeled rows carry the label -1 is fed as-is to
nn.CrossEntropyLoss (default ignore_index=-100): training stops with "IndexError: Target -1 is out
of bounds".

Source: EricFillion/happy-transformer issue #248 "HappyTextClassification : Target -1 is out of
bounds." (https://github.com/EricFillion/happy-transformer/issues/248), found with the `issues`
search "IndexError Target -1 is out of bounds CrossEntropyLoss unlabeled samples -1
ignore_index": a CSV of 14,000 labelled texts whose label column holds a -1; the maintainer:
"The lowest valid label number is 0." pytorch/pytorch issue #25166 is the same setup on purpose
(labelled and unlabeled samples mixed in one batch).

Bug: 10% of the training rows are unlabeled and marked -1 (a common export convention), the rest
carry classes 0-3. CrossEntropyLoss only skips targets equal to its ignore_index (-100 by
default), so the first batch holding a -1 raises. The fix passes ignore_index=-1.

Reproduction: 16 standardized features, 4 classes, MLP 16-64-4, Adam lr 1e-3, batch 64; the
validation rows are all labelled.

Verified (verify.py): training crashes; with ignore_index=-1 the same setup trains to high
validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/EricFillion/happy-transformer/issues/248",
    "kind": "broken",
    "bug": "unlabeled rows marked -1 in the training labels of a CrossEntropyLoss classifier (ignore_index is -100)",
    "expect": {"ND102": "warn"},
    "consequences": [],
}


def _rows(n: int, seed: int, unlabeled: float) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, 4, generator=torch.Generator().manual_seed(59))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    y = (x @ w + 0.3 * torch.randn(n, 4, generator=g)).argmax(1)
    y[torch.rand(n, generator=g) < unlabeled] = -1
    return x, y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))


def build_data():
    x, y = _rows(4000, 1, unlabeled=0.1)
    xv, yv = _rows(800, 2, unlabeled=0.0)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def fixed_loss():
    return nn.CrossEntropyLoss(ignore_index=-1)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_loss": fixed_loss},
    "claims": ["crash", "worse_than_fix"],
    "margin": 0.3,
}
