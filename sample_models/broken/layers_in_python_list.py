"""Broken: the hidden layers live in a plain Python list, so torch never registers them.

The model builds its hidden layers in a loop and keeps them in `self.hidden = [...]`; only the
head is assigned as an attribute. Modeled on pytorch/pytorch#715 ("Module: parameters are not
included if the module is initialized in a list"; same report: #666, #1053): forward() runs the
listed layers, so nothing errors, but they are not in `model.parameters()`. The optimizer trains
only the head on top of frozen random features, `.to("cuda")` would leave the list on the CPU
(#1053) and `state_dict()` does not save it. With a plain Adam loop for 20 epochs the model reaches
80% validation accuracy instead of 96% (benchmarks/calibrate_new_checks.py nd107).
Fix: `self.hidden = nn.ModuleList([...])`.

Must fire:
- ND107 (unregistered-parameters) fail: `model.hidden` holds 2 Linear layers outside registration.
"""

import itertools

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND107": "fail"}


class ListMLP(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (64, 128, 64), classes: int = 10) -> None:
        super().__init__()
        self.hidden = [nn.Linear(a, b) for a, b in itertools.pairwise(widths)]  # BUG: a plain list
        self.head = nn.Linear(widths[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.head(x)


def build_model() -> nn.Module:
    return ListMLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
