"""Broken: class labels run 1..10 but the model has 10 outputs (valid indices 0..9).

The labels were shifted by one (say, from a 1-based label file) and the loader passes them through
without complaint. CrossEntropyLoss then meets target 10 with only outputs 0..9: on CPU it raises
an IndexError, on GPU a device-side assert, and class 0 is never a target at all.
Fix: map labels to 0..C-1 (here `labels - 1`), or widen the output if there really are 11 classes.

Must fire:
- ND102 (data sanity) fail: label range 1..10 does not fit an output of width 10.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import load_bundled, split_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND102": "fail"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    pixels, labels = load_bundled("digits")
    return split_loaders(pixels, labels + 1, batch_size=64)  # BUG: labels now 1..10


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
