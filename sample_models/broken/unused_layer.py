"""Broken: a layer defined in __init__ but never called in forward.

`fc_extra` was added to deepen the network, but the forward still goes fc1 -> fc2 -> head. Its
parameters are counted, saved and handed to the optimizer, yet never receive a gradient: the model
is not the one you think you are training. Fix: use the layer in forward, or delete it.

Must fire:
- ND302 (unused or frozen parameters) warn: `fc_extra.*` get no gradient.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND302": "warn"}


class MLPWithUnusedLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc_extra = nn.Linear(64, 64)  # BUG: never used in forward
        self.head = nn.Linear(64, 10)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.fc1(x))
        h = self.act(self.fc2(h))
        return self.head(h)


def build_model() -> nn.Module:
    return MLPWithUnusedLayer()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
