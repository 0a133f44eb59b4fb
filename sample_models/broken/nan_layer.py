"""Broken: a custom layer in the middle of the network produces NaN at initialization.

`LogCompress` takes log(x) to compress the range of large activations. It is meant for positive
features but sits on raw pre-activations, about half of which are negative: log of a negative
number is NaN, and the NaN spreads through the ReLU to the loss and, after one optimizer step, to
every weight. Fix: compress only non-negative values (log1p after the ReLU), or use a function
defined everywhere, e.g. sign(x) * log1p(|x|).

Must fire:
- ND204 (NaN/Inf localization) fail: names `log_compress` as the first module with NaN output.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND204": "fail"}


class LogCompress(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)  # NaN wherever x < 0


class LogCompressedMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.act1 = nn.ReLU()
        self.fc2 = nn.Linear(128, 64)
        self.log_compress = LogCompress()  # BUG: on pre-activations, half of them negative
        self.act2 = nn.ReLU()
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act1(self.fc1(x))
        h = self.act2(self.log_compress(self.fc2(h)))
        return self.head(h)


def build_model() -> nn.Module:
    return LogCompressedMLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
