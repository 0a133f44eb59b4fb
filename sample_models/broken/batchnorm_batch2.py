"""Broken: a BatchNorm MLP trained with batches of 2.

BatchNorm normalizes each feature with the mean and variance of the current batch. With 2 samples
those statistics are mostly noise (and each normalized value is just +1 or -1), so training is
noisy and the running averages used in eval() do not match what the model saw in training.
Fix: batches of 16 or more, or a normalization that does not depend on the batch (LayerNorm,
GroupNorm). (`drop_last` keeps a final batch of 1, which BatchNorm rejects, out of the loader.)

Must fire:
- ND105 (batch norm and batch size) warn: BatchNorm with training batches below ~16.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND105": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128, bias=False),
        nn.BatchNorm1d(128),
        nn.ReLU(),
        nn.Linear(128, 64, bias=False),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=2, drop_last=True)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
