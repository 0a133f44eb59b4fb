"""Broken: a learning rate so high that the first steps kill most ReLU units of a narrow MLP.

A 64-32-32-10 ReLU MLP on standardized digits with Adam at lr 0.15 (150x the usual 1e-3). At init
every unit is alive; a few of Adam's first large steps push the hidden units' pre-activations
below zero for every input, and a ReLU unit that never fires gets no gradient to come back. The
classic failure described in the cs231n notes ("as much as 40% of your network can be dead if the
learning rate is set too high"; datascience.stackexchange "What is the dying ReLU problem").
At lr 0.1 a plain loop for 20 epochs left about half of the second layer's units dead and validation
accuracy at 69%; at 0.15 nndoctor's 200-step short run sees 72% of them die (0.1 gave 41% since the
digits data ships with the package, too close to the 50% threshold for a sample that must fire).
With LeakyReLU at lr 0.1 no unit died and it reached 95% (benchmarks/calibrate_new_checks.py nd406). Fix: lower the learning rate (1e-3), or LeakyReLU.

Must fire:
- ND406 (units-die-during-training) warn: units alive at init, dead after the short run.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND406": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=0.15)  # BUG: 150x the usual Adam learning rate
