"""Broken: training data stored sorted by class, loaded with shuffle=False.

Eight noisy copies of the digits training set (11,504 samples, 1,152 per class) kept in label
order, as data often arrives from a folder per class, and a DataLoader built without
`shuffle=True`: each class fills about 18 consecutive batches of 64, and every epoch ends on
nines. Modeled on the question "Effect of shuffling data in the PyTorch DataLoader" (a 100-class
AlexNet fine-tune at 2-3% validation accuracy with shuffle=False, 70% with shuffle=True). With a
plain loop for 3 epochs this setup ends at 67% validation accuracy with Adam and 10% (always the
last class) with SGD + momentum, against 96-97% shuffled (benchmarks/calibrate_new_checks.py
nd109). Fix: `DataLoader(..., shuffle=True)` for the training set.

Must fire:
- ND109 (unshuffled-training-data) fail: one class per batch, 16 batches in a row, SequentialSampler.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND109": "fail"}

COPIES = 8


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def build_data() -> tuple[DataLoader, DataLoader]:
    train, val = digits_loaders(batch_size=64)
    x, y = train.dataset.tensors
    noise = torch.Generator().manual_seed(0)
    x = torch.cat([x + 0.3 * torch.randn(x.shape, generator=noise) for _ in range(COPIES)])
    y = y.repeat(COPIES)
    order = torch.argsort(y, stable=True)  # stored class by class
    return DataLoader(TensorDataset(x[order], y[order]), batch_size=64), val  # BUG: no shuffle=True


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
