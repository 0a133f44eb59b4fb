"""Broken: class scores go through a sigmoid and then into nn.CrossEntropyLoss.

Source: eriklindernoren/PyTorch-YOLOv3 issue #10 "CrossEntropyLoss after Sigmoid on class
predictions" (https://github.com/eriklindernoren/PyTorch-YOLOv3/issues/10), found with the
`issues` search "sigmoid output with CrossEntropyLoss multi-class". The code did
`pred_cls = torch.sigmoid(prediction[..., 5:])` and fed it to CrossEntropyLoss; the reporter:
"Taking the log of the softmax ... of a vector with values between [0, 1] isn't helping".

Bug: CrossEntropyLoss expects unbounded logits; squashed into (0, 1) the scores can differ by at
most 1, so the softmax can never exceed e/(e+K-1) for the true class, the loss has a high floor and
the gradient vanishes as the sigmoids saturate.

Reproduction: a single-cell version of the detector's class branch: a small CNN on synthetic
12-class 1x16x16 patches (class templates + noise), 12 class scores through sigmoid,
CrossEntropyLoss, SGD lr 0.1 momentum 0.9, batch 64.

Verified (verify.py): after 3 epochs validation accuracy stays well below the same CNN returning
raw logits (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/eriklindernoren/PyTorch-YOLOv3/issues/10",
    "kind": "broken",
    "bug": "CNN class scores passed through torch.sigmoid and then into nn.CrossEntropyLoss",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND403", "ND404"],
}

CLASSES = 12


def _patches(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.randn(CLASSES, 1, 4, 4, generator=torch.Generator().manual_seed(5)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    return protos[y] + 0.8 * torch.randn(n, 1, 16, 16, generator=g), y


class ClassBranch(nn.Module):
    def __init__(self, sigmoid: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(128, CLASSES),
        )
        self.sigmoid = sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return torch.sigmoid(out) if self.sigmoid else out


def build_model() -> nn.Module:
    return ClassBranch(sigmoid=True)


def build_data():
    x, y = _patches(3000, 1)
    xv, yv = _patches(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def fixed_model() -> nn.Module:
    return ClassBranch(sigmoid=False)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
