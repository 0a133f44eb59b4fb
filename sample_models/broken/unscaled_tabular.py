"""Broken: tabular features on wildly different scales, never standardized.

The wine data set's 13 chemical measurements go in raw: hue is about 1, magnesium about 100 and
proline about 750 (up to 1680). The largest features dominate the first layer's output and the
loss surface is badly conditioned: gradient steps that suit proline are far too big or too small
for hue. Fix: standardize each feature (z-score with training-set statistics).

Must fire:
- ND101 (input normalization) warn: per-feature means/stds far from 0/1, spread over ~4 orders of
  magnitude.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import wine_loaders

NNDOCTOR = {"task": "classification", "num_classes": 3}
FIRES = {"ND101": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 3))


def build_data() -> tuple[DataLoader, DataLoader]:
    return wine_loaders(batch_size=32, standardize=False)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
