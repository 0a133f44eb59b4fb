"""Models for benchmarks/perf.py: MLPs of about 1M, 10M and 50M parameters, and a 3x224x224 image CNN.

A recipe file: `NNDOCTOR_PERF_MODEL=mlp10m nndoctor check benchmarks/perf_models.py`. The data
are synthetic and made per sample from its index (a seeded generator), so neither nndoctor nor
the plain training script holds more than the batches it asks for: the memory comparison is
about what each keeps, not about a dataset both load.
"""

from __future__ import annotations

import os

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, Dataset

__all__ = ["MODELS", "NNDOCTOR", "build_data", "build_loss", "build_model", "build_optimizer"]

# name -> (hidden width of a 3-hidden-layer MLP on 256 features, or 0 for the image CNN)
MODELS = {"mlp1m": 640, "mlp10m": 2180, "mlp50m": 4950, "image224": 0}
FEATURES = 256
CLASSES = 10
NNDOCTOR = {"task": "classification", "num_classes": CLASSES}


def _which() -> str:
    name = os.environ.get("NNDOCTOR_PERF_MODEL", "mlp1m")
    if name not in MODELS:
        raise ValueError(f"NNDOCTOR_PERF_MODEL={name!r}: use one of {', '.join(MODELS)}")
    return name


class Synthetic(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Inputs drawn per index, labels from a fixed linear rule of the inputs (learnable)."""

    def __init__(self, size: int, shape: tuple[int, ...], offset: int = 0) -> None:
        self.size, self.shape, self.offset = size, shape, offset
        self.rule = torch.randn(shape, generator=torch.Generator().manual_seed(1)).reshape(-1)[:CLASSES]

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.offset + index)
        x = torch.randn(self.shape, generator=g)
        label = int(torch.argmax(x.reshape(-1)[:CLASSES] * self.rule))
        return x, torch.tensor(label)


def build_model() -> nn.Module:
    width = MODELS[_which()]
    if width:
        return nn.Sequential(
            nn.Linear(FEATURES, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, CLASSES),
        )
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, stride=2, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.Conv2d(64, 128, 3, stride=2, padding=1),
        nn.BatchNorm2d(128),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, CLASSES),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    image = MODELS[_which()] == 0
    shape = (3, 224, 224) if image else (FEATURES,)
    batch = 16 if image else 64
    train = Synthetic(1024 if image else 4096, shape)
    val = Synthetic(128 if image else 512, shape, offset=10**6)
    generator = torch.Generator().manual_seed(0)
    return (
        DataLoader(train, batch_size=batch, shuffle=True, generator=generator),
        DataLoader(val, batch_size=batch),
    )


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
