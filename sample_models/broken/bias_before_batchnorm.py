"""Advice: convolutions with a bias right before BatchNorm (the bias does nothing).

The healthy digits CNN, except its Conv2d layers keep PyTorch's default `bias=True`. BatchNorm
subtracts the per-channel batch mean right after, which removes any constant the conv adds: the
bias gets zero gradient in effect, wastes parameters and memory, and BN's own shift (beta) plays
its role anyway. Harmless for accuracy, so this is advice. Fix: `bias=False` on a layer followed
by BatchNorm.

Must fire:
- ND104 (architecture advice) warn: bias before BatchNorm.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND104": "warn"}


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1),  # bias=True by default: useless here
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


def build_model() -> nn.Module:
    return nn.Sequential(
        conv_block(1, 16),
        conv_block(16, 32),
        nn.MaxPool2d(2),
        conv_block(32, 32),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64, images=True)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
