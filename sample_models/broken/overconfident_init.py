"""Broken: the output layer starts heavily biased towards class 0, so the initial loss is ~3x ln 10.

A healthy digits MLP whose head bias starts at +8 for class 0 (as if copied from a model trained
on data where class 0 dominated). Before learning anything the model is confidently wrong on 90% of
the samples: the initial cross-entropy is about 7 instead of ln 10 = 2.30, and the first steps are
spent undoing the bias (the "hockey stick" loss curve) rather than learning features.
Fix: zero the output bias (or set it to the log of the class priors of *this* data).

Must fire:
- ND201 (initial loss) warn: initial loss far above ln(C) for C balanced classes.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND201": "warn"}


def build_model() -> nn.Module:
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    with torch.no_grad():
        model[-1].bias.zero_()
        model[-1].bias[0] = 8.0  # BUG: strong prior for class 0
    return model


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
