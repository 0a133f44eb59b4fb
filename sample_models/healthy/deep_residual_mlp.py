"""Healthy: a 24-layer MLP that trains, thanks to residual connections and LayerNorm.

An input projection, 11 pre-norm residual blocks (x + fc2(relu(fc1(layernorm(x))))), a final
LayerNorm and a linear head: 24 weighted layers. The identity path carries the signal and the
gradient through every block, so activations and gradients keep their scale through depth (ND203,
ND301). This is the counterpart of `broken/plain_deep_net.py`: a deep net that must NOT get the
"plain deep net without skip connections" advice (ND104).
Must stay quiet: every check passes or skips.
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}

WIDTH = 128
BLOCKS = 11


class ResidualBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, WIDTH),
        *(ResidualBlock(WIDTH) for _ in range(BLOCKS)),
        nn.LayerNorm(WIDTH),
        nn.Linear(WIDTH, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
