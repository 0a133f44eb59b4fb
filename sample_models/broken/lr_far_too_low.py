"""Broken: plain SGD at lr = 1e-5 on the digits MLP: the loss does not move.

Model, data and loss are those of the default digits sample; only the optimizer changes. Each step
changes the weights by about 1e-6 of their size (a healthy update/weight ratio is about 1e-3), so
after 200 steps the loss is still 2.31, exactly where it started, and so is the accuracy. The model
is fine: SGD at lr 0.1-1 trains it to over 95% validation accuracy. Fix: raise the learning rate by
orders of magnitude (`nndoctor lr-find` suggests one), or use Adam at 1e-3.

Must fire:
- ND404 (loss dynamics) warn: the loss curve is flat.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND404": "warn", "ND403": "warn"}


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
    return torch.optim.SGD(params, lr=1e-5)  # BUG: about 10,000x too small
