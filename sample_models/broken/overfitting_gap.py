"""Broken: a wide MLP trained on 40 digits without any regularization memorizes them.

64 -> 512 -> 512 -> 10 with ReLU (about 300k parameters) on only 40 training images, with Adam at
1e-3, no weight decay, no dropout and no augmentation. Within 50 steps the training accuracy is
100% and the training loss near 0, while validation accuracy stays around 80% and the validation
loss starts to climb back: the network memorizes the 40 samples instead of learning digits.
Fix: more data (the full digits set gives ~95% validation accuracy with this model), weight decay
or dropout, data augmentation, or a smaller model and early stopping.

Must fire:
- ND405 (train/val gap) warn: training accuracy far above validation accuracy (overfitting).
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND405": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=20, train_size=40)  # BUG: 40 samples for 300k parameters


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)  # and no weight decay
