"""Healthy: a bounded regression target in [0, 1] predicted through a final Sigmoid.

The quiet twin of broken/relu_output_regression.py for ND108: diabetes progression rescaled to a
fraction of its observed range, (y - min) / (max - min), so every target lies in [0, 1], and a
Sigmoid head, whose (0, 1) range reaches all of them (the extremes 0 and 1 are its limits). Bounded
output activations are fine when the targets fit inside their range.
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import load_bundled, split_loaders

FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
        nn.Sigmoid(),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    x, y = load_bundled("diabetes")
    fraction = (y - y.min()) / (y.max() - y.min())
    return split_loaders(x, fraction.reshape(-1, 1), batch_size=32)


def build_loss() -> nn.Module:
    return nn.MSELoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
