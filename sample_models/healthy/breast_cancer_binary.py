"""Healthy: binary classification of breast-cancer biopsies with one logit and BCEWithLogitsLoss.

30 standardized features -> 32 -> 16 -> 1 with ReLU. The model returns a raw logit and the loss
applies the sigmoid itself, which is numerically stable (ND103); with near-zero initial logits the
initial loss is about ln 2 (ND201). Classes are 63% / 37%: mildly unbalanced, not a data problem.
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import breast_cancer_loaders

FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(30, 32),
        nn.ReLU(),
        nn.Linear(32, 16),
        nn.ReLU(),
        nn.Linear(16, 1),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return breast_cancer_loaders(batch_size=32)


def build_loss() -> nn.Module:
    return nn.BCEWithLogitsLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
