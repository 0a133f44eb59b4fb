"""Healthy: a residual MLP that keeps its blocks in nn.ModuleList, with plain lists that are fine.

The quiet twin of broken/layers_in_python_list.py for ND107. The blocks are in an nn.ModuleList;
the model also keeps a plain list of its layer widths (ints, not layers), a plain list of
references to blocks that are registered through the ModuleList anyway (the same objects, so
nothing is hidden from `model.parameters()`), and a tuple of activation names. None of it is
state torch would miss.
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.fc(x))


class ModuleListMLP(nn.Module):
    def __init__(self, width: int = 64, depth: int = 3, classes: int = 10) -> None:
        super().__init__()
        self.widths = [64, *([width] * depth), classes]  # plain ints
        self.stem = nn.Linear(64, width)
        self.blocks = nn.ModuleList(Block(width) for _ in range(depth))
        self.probed = [self.blocks[0], self.blocks[-1]]  # second references to registered blocks
        self.activations = ("relu",) * depth
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(x))
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def build_model() -> nn.Module:
    return ModuleListMLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
