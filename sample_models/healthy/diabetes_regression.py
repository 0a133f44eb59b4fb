"""Healthy: an MLP regressor on scikit-learn's diabetes data, MSE on standardized targets.

10 standardized features -> 64 -> 64 -> 1 with ReLU; the target is standardized too (variance 1),
so the model's near-zero initial output gives an initial MSE near var(y) = 1 (ND201). Outputs and
targets are both [N, 1], so MSELoss compares them element by element (ND103).
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import diabetes_loaders

FIRES: dict[str, str] = {}


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
    return torch.optim.Adam(params, lr=1e-3)
