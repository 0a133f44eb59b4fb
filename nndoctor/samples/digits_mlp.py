"""A healthy MLP on the bundled 8x8 digits: the recipe `nndoctor check` runs with no target.

64 standardized pixels -> 128 -> 64 -> 10 with ReLU, PyTorch's default init, cross-entropy on raw
logits and Adam at lr 1e-3 on batches of 64, with a held-out validation loader. Nothing is wrong
with it: every check passes or skips. It is also the smallest complete recipe, so it doubles as a
template for your own (`nndoctor init` writes a commented one).
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

__all__ = ["FIRES", "NNDOCTOR", "build_data", "build_loss", "build_model", "build_optimizer"]

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


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
    return torch.optim.Adam(params, lr=1e-3)
