"""Broken: a reshape that mixes samples across the batch (sequence-first vs batch-first mix-up).

The model embeds each of the 8 pixel rows of a digit, switching to the sequence-first layout
[rows, batch, features] that RNN code uses, then flattens with `reshape(n, -1)` without switching
back. The shapes still work, so nothing crashes, but row i of the flattened tensor now holds pieces
of several different samples: each prediction depends on other images in the batch, and eval
results change with batch composition. Fix: `h.transpose(0, 1).reshape(n, -1)`.

Must fire:
- ND304 (batch independence) fail: sample 0's output has a nonzero gradient w.r.t. other samples'
  inputs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND304": "fail"}


class RowEmbeddingNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.row_embed = nn.Linear(8, 16)
        self.act = nn.ReLU()
        self.head = nn.Linear(8 * 16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [n, 1, 8, 8]
        n = x.shape[0]
        rows = x.reshape(n, 8, 8).transpose(0, 1)  # [8 rows, n, 8 pixels], sequence-first
        h = self.act(self.row_embed(rows))  # [8, n, 16]
        return self.head(h.reshape(n, -1))  # BUG: needs h.transpose(0, 1) first


def build_model() -> nn.Module:
    return RowEmbeddingNet()


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64, images=True)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
