"""Broken: tanh units saturated at initialization because the weights are ~10x too large.

A 64 -> 3 x 128 -> 10 tanh MLP with weights drawn from N(0, 1). With 64-128 inputs per unit the
pre-activations have a std around 10, so almost every tanh output sits at -1 or +1, where its
slope is ~0: the gradient through those units vanishes and they barely learn. Fix: Xavier/Glorot
or LeCun init for tanh layers (std ~ 1/sqrt(fan_in)), or PyTorch's default.

Must fire:
- ND203 (forward signal) warn: large share of saturated tanh units (|output| near 1).
- ND202 (init scale) warn: weight std ~10x the Xavier/LeCun std for tanh.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND203": "warn", "ND202": "warn"}


def build_model() -> nn.Module:
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.Tanh(),
        nn.Linear(128, 128),
        nn.Tanh(),
        nn.Linear(128, 128),
        nn.Tanh(),
        nn.Linear(128, 10),
    )
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=1.0)  # BUG: ignores fan-in
            nn.init.zeros_(module.bias)
    return model


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
