"""Broken: image pixels fed as raw bytes (0..255), never normalized.

The digits pixels are rescaled to 0..255, as 8-bit images arrive from disk, and go straight into
the MLP: feature means up to ~190 and standard deviations around 70 instead of 0 and 1. The first
layer's outputs are then ~100x larger than its init assumes (initial loss ~17 instead of 2.3), a
tiny weight change flips predictions, and an SGD learning rate that suits normalized data
diverges (Adam hides some of it). Fix: standardize each feature
with training-set statistics (or divide by 255 and subtract the mean).

Must fire:
- ND101 (input normalization) warn: input mean/std far from 0/1.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import load_bundled, split_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND101": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    pixels, labels = load_bundled("digits")  # pixels in 0..16
    return split_loaders(pixels * (255 / 16), labels, batch_size=64, standardize=False)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
