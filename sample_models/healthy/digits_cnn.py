"""Healthy: a small CNN on digits as 1x8x8 images, built from Conv-BN-ReLU blocks.

Three 3x3 conv blocks (16, 32, 32 channels) with a 2x2 max-pool, global average pooling and a
linear head. The convolutions have `bias=False` because the BatchNorm right after them subtracts
any bias anyway (ND104). BatchNorm sees batches of 64, so its batch statistics are stable (ND105),
and its train() and eval() outputs differ by design while eval() stays deterministic (ND106).
Batch independence (ND304) holds in eval(); in train() BatchNorm couples a batch on purpose.
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
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


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
