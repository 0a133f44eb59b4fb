"""Broken: a regression head that ends in ReLU, trained on standardized (half negative) targets.

The diabetes regressor of healthy/diabetes_regression.py with one more layer: a final nn.ReLU
"because the quantity is a level". The targets are standardized, so 54% of them are negative,
values a ReLU can never produce; whenever the output sits at 0 its unit also gets no gradient.
Modeled on the recurring question "Can ReLU be used in the last layer of a regression network?"
(community.deeplearning.ai, 2024; stats.stackexchange 362588): the loss stalls at a floor set by
the activation. No weights can get the MSE under 0.41 of the targets' variance here; a plain Adam
loop for 20 epochs reaches validation R^2 0.30, the same model without the ReLU 0.50
(benchmarks/calibrate_new_checks.py nd108). Fix: end with the Linear layer.

Must fire:
- ND108 (unreachable-targets) fail: ReLU output range [0, inf) against targets down to -1.6.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import diabetes_loaders

FIRES = {"ND108": "fail"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
        nn.ReLU(),  # BUG: the targets are standardized, half of them negative
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return diabetes_loaders(batch_size=32)


def build_loss() -> nn.Module:
    return nn.MSELoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
