"""Broken: the optimizer gets only the last layer; the rest require grad but never move.

`build_optimizer` keeps only the head's weight and bias (meant as "fine-tune the head"), but the
hidden layers still have `requires_grad=True`. Their gradients are computed every step and thrown
away: if the intent was to train everything, most of the model silently stays at its random init;
if it was to fine-tune the head, the backward pass does useless work. Fix: pass
`model.parameters()`, or freeze what should not train with `requires_grad_(False)`.

Must fire:
- ND302 (unused or frozen parameters) fail: trainable parameters missing from the optimizer.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND302": "fail"}


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
    head_weight, head_bias = list(params)[-2:]  # BUG: only the last Linear layer
    return torch.optim.Adam([head_weight, head_bias], lr=1e-3)
