"""Broken: missing measurements arrive as NaN and go into the model unimputed.

About 1% of the breast-cancer feature values are NaN (empty cells in a CSV, say), so roughly a
quarter of the samples carry one. Standardization skips them, the loader passes them through, and
any batch holding one gives a NaN loss; the first optimizer step then writes NaN into every weight.
Fix: impute missing values (e.g. the training-set median) or drop those rows, before training.

Must fire:
- ND102 (data sanity) fail: NaN in the inputs.
"""

import numpy as np
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import load_bundled, split_loaders

FIRES = {"ND102": "fail"}


def build_data() -> tuple[DataLoader, DataLoader]:
    features, labels = load_bundled("breast_cancer")
    features = features.copy()
    features[np.random.default_rng(0).random(features.shape) < 0.01] = np.nan  # the missing cells
    targets = labels.astype(np.float32).reshape(-1, 1)
    return split_loaders(features, targets, batch_size=32, stratify=True)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))


def build_loss() -> nn.Module:
    return nn.BCEWithLogitsLoss()
