"""Broken: a linear classifier on the three interleaved spirals, which no line can separate.

The model is a single `nn.Linear(2, 3)`: logistic regression. The spirals' classes wind around
each other, so any linear boundary gets about half the points right (chance is one third), on
training and validation data alike, and training longer does not help. A small MLP (2 -> 100 ->
100 -> 3 with ReLU) reaches over 98% on the same data with the same optimizer. Fix: give the model
capacity and a nonlinearity.

Must fire:
- ND405 (train/val gap) warn: both training and validation accuracy poor, no gap (underfitting).
ND402 stays quiet on purpose: with 9 parameters for 60 target values the model cannot be expected
to memorize 20 samples, so "cannot overfit" would blame the wrong thing.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import spirals_loaders

NNDOCTOR = {"task": "classification", "num_classes": 3}
FIRES = {"ND405": "warn"}


def build_model() -> nn.Module:
    return nn.Linear(2, 3)  # BUG: a linear model for a nonlinear task


def build_data() -> tuple[DataLoader, DataLoader]:
    return spirals_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-2)
