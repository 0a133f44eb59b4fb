"""Broken: a healthy digits MLP trained with plain SGD at lr = 10.

Model, data and loss are those of the default sample; only the optimizer changes. With lr = 10 a
single SGD step changes each weight matrix by 60-100% of its own size (a healthy update/weight
ratio is about 1e-3 per step): the loss jumps from 2.3 to millions within five steps and is NaN by
the eighth. Fix: lower the learning rate by orders of magnitude (`nndoctor lr-find` suggests
one), or use Adam at 1e-3.

Must fire:
- ND303 (update ratio) warn: |update| / |weight| per layer far above ~1e-3 after one step.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND303": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=10.0)  # BUG: ~1000x too large
