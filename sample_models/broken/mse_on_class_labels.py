"""Broken: 10-class digits treated as regression on the label value (1 output, MSELoss).

The labels 0..9 are stored as float targets [N, 1] and the model predicts one number. MSE says a
"7" predicted as 8 is better than as 1, an order the classes do not have, and an uncertain model
predicts the in-between digit (between 1 and 7 it says 4). Accuracy stays poor.
Fix: one output per class, CrossEntropyLoss and int64 labels.

Must fire:
- ND103 (loss/output pairing) warn: MSE on class-like targets (few distinct integer values).
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import load_bundled, split_loaders

FIRES = {"ND103": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    pixels, labels = load_bundled("digits")
    targets = labels.astype("float32").reshape(-1, 1)  # BUG: class indices as numbers
    return split_loaders(pixels, targets, batch_size=64, stratify=True)


def build_loss() -> nn.Module:
    return nn.MSELoss()
