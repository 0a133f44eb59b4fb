"""Broken: the class labels are stored as a column, shape [N, 1], the way a binary
BCEWithLogitsLoss setup wants its targets, and fed to nn.CrossEntropyLoss, which wants class
indices of shape [N]. PyTorch refuses: "RuntimeError: 0D or 1D target tensor expected,
multi-target not supported". Nothing trains.

Source: pytorch/pytorch issue #56542 "CrossEntropyLoss target shape expectation is inconsistent
with BCEWithLogits" (https://github.com/pytorch/pytorch/issues/56542), found with the `issues`
search "CrossEntropyLoss multi-target not supported target shape [N, 1] squeeze": a user who
moves from a binary (N, 1) BCEWithLogits setup to multiclass keeps the (N, 1) target and gets the
confusing "multi-target not supported" error (also pytorch/pytorch#3670).

Reproduction: 12 standardized tabular features, 4 classes from a noisy nonlinear rule; MLP
12-64-64-4, CrossEntropyLoss, Adam lr 1e-3, batch 64. The label tensor is built with
`.unsqueeze(1)` (a column, long dtype). The fix flattens it to [N].

Verified (verify.py): training raises the RuntimeError at the first loss; the fixed labels train
to a good validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/56542",
    "kind": "broken",
    "bug": "class labels of shape [N, 1] into CrossEntropyLoss: RuntimeError, multi-target not supported",
    "expect": {"ND102": "warn", "ND103": "warn"},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, 4, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    score = torch.tanh(x @ w) + 0.3 * torch.randn(n, 4, generator=g)
    return x, score.argmax(1)


def _loaders(column: bool):
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    if column:
        y, yv = y.unsqueeze(1), yv.unsqueeze(1)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))


def build_data():
    return _loaders(column=True)


def fixed_data():
    return _loaders(column=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_data": fixed_data},
    "claims": ["crash", "worse_than_fix"],
    "margin": 0.3,
}
