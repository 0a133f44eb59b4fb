"""Broken: dropout is called but its result is thrown away, so the model trains without it.

A BatchNorm MLP on digits declares `self.dropout = nn.Dropout(0.5)` and calls `self.dropout(h)`
after each hidden layer, but never assigns the result (`h = self.dropout(h)`): the call returns a
new tensor and `h` flows on unchanged. The author believes the 256-wide layers are regularized by
50% dropout; in fact nothing is dropped. Because BatchNorm already makes train() and eval() outputs
differ, comparing the two modes (ND106) does not reveal it; switching the dropout module on and off
on its own does: the output does not change at all. Fix: `h = self.dropout(h)`.

Must fire:
- ND401 (regularization raises loss) warn: a dropout module that changes nothing when active.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND401": "warn"}


class RegularizedMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 256, bias=False)
        self.bn1 = nn.BatchNorm1d(256)
        self.fc2 = nn.Linear(256, 256, bias=False)
        self.bn2 = nn.BatchNorm1d(256)
        self.dropout = nn.Dropout(0.5)
        self.head = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.fc1(x)))
        self.dropout(h)  # BUG: the result is discarded; should be h = self.dropout(h)
        h = torch.relu(self.bn2(self.fc2(h)))
        self.dropout(h)  # BUG: same
        return self.head(h)


def build_model() -> nn.Module:
    return RegularizedMLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
