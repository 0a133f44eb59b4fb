"""Broken: a linear classifier on the three interleaved spirals, which no line can separate.

The model is a single `nn.Linear(2, 3)`: logistic regression. The spirals' classes wind around
each other, so any linear boundary gets about half the points right (chance is one third), on
training and validation data alike, and training longer does not help. It cannot even memorize
20 training points. A small MLP (2 -> 100 -> 100 -> 3 with ReLU) reaches over 98% on the same data
with the same optimizer. Fix: give the model capacity and a nonlinearity.

Must fire:
- ND402 (overfit a tiny subset) fail: accuracy on 20 samples stalls far below 100%.
- ND405 (train/val gap) warn: both training and validation accuracy poor, no gap (underfitting).
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import spirals_loaders

NNDOCTOR = {"task": "classification", "num_classes": 3}
FIRES = {"ND402": "fail", "ND405": "warn"}


def build_model() -> nn.Module:
    return nn.Linear(2, 3)  # BUG: a linear model for a nonlinear task


def build_data() -> tuple[DataLoader, DataLoader]:
    return spirals_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-2)
