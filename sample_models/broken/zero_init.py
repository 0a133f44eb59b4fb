"""Broken: every weight and bias initialized to zero, so the hidden units can never differ.

A 64 -> 128 -> 64 -> 10 ReLU MLP with `nn.init.zeros_` on all Linear weights and biases. All units
of a layer compute the same value and receive the same update, so symmetry is never broken (here
the hidden layers even get exactly zero gradient): the network cannot learn anything beyond the
class prior. Fix: random init (PyTorch's default, or Kaiming for ReLU).

Must fire:
- ND202 (init scale) fail: zero/constant (symmetric) initialization.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND202": "fail"}


def build_model() -> nn.Module:
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)
            nn.init.zeros_(module.bias)
    return model


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
