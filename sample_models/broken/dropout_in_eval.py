"""Broken: functional dropout that stays on in eval(), so predictions are random.

The forward calls `torch.nn.functional.dropout(h, 0.5)`, whose `training` argument defaults to
True; it is not tied to `self.training`, so model.eval() does not switch it off. Validation and
inference outputs change from call to call and the measured accuracy is noisy and too low.
Fix: use an `nn.Dropout` module, or pass `training=self.training`.

Must fire:
- ND106 (train/eval mode) fail: two eval() forward passes on the same batch differ.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND106": "fail"}


class DropoutMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = nn.functional.dropout(torch.relu(self.fc1(x)), 0.5)  # BUG: missing training=self.training
        h = nn.functional.dropout(torch.relu(self.fc2(h)), 0.5)
        return self.head(h)


def build_model() -> nn.Module:
    return DropoutMLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
