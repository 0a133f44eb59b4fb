"""Broken: plain SGD at lr = 1.0 on a regression MLP: the loss explodes to NaN within 10 steps.

The model, data and loss are those of the healthy diabetes sample (10 -> 64 -> 64 -> 1, MSE on
standardized targets); only the optimizer changes. Each step overshoots the minimum by more than
it corrects, so the loss grows geometrically (about 1 -> 100 -> 1e8 -> 1e34) and overflows to
Inf/NaN by step 10. Fix: lower the learning rate by 10-100x (SGD around 1e-2 trains this model;
`nndoctor lr-find` measures it), or use Adam at 1e-3; clip gradients if spikes remain.

Must fire:
- ND404 (loss dynamics) fail: the loss diverges to NaN/Inf.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import diabetes_loaders

FIRES = {"ND404": "fail", "ND403": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return diabetes_loaders(batch_size=32)


def build_loss() -> nn.Module:
    return nn.MSELoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=1.0)  # BUG: 10-100x too large for this model
