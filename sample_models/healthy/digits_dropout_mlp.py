"""Healthy: a ReLU MLP on digits regularized with nn.Dropout, used the right way.

64 -> 256 -> 256 -> 10 with Dropout(0.3) after each hidden ReLU. Because dropout is an
nn.Dropout module, model.eval() switches it off: eval() outputs are deterministic and differ from
train() outputs, as they should (ND106). Dropout sits in fully connected layers, where it belongs
(ND104).
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 256),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(256, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
