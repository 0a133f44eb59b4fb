"""Broken: a small CNN trained with SGD at lr 1e-6: the loss does not move.

Source: GitHub issue thtrieu/darkflow#1120, "I can't reduce ave loss"
(https://github.com/thtrieu/darkflow/issues/1120), found with the `issues` search: "It stays
3.0~4.0 at 10000step~50000step. I used option --lr 1e-06. I tried --lr 1e-07, --lr 1e-08, or
--lr 1e-05 but it doesn't work."

Bug: with SGD the update is lr x gradient; at lr 1e-6 a weight of size ~0.1 moves by ~1e-7 per
step, so thousands of steps change nothing and the loss stays at its initial value.

Reproduction: synthetic 1x28x28 images of 6 object classes (shape templates + noise), a two-block
conv net (Conv-ReLU-Pool x2, Linear), CrossEntropyLoss, SGD lr 1e-6 momentum 0.9, batch 32.

Verified (verify.py, VERIFIED.md): the validation loss and accuracy barely change in 5 epochs,
while SGD lr 1e-2 momentum 0.9 (the fix) learns.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/thtrieu/darkflow/issues/1120",
    "kind": "broken",
    "bug": "SGD learning rate 1e-6: updates ~1e-6 of the weights, the loss never moves",
    "expect": {"ND403": "warn", "ND404": "warn"},
    "consequences": ["ND303", "ND402", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(6, 1, 5, 5, generator=torch.Generator().manual_seed(31)), size=28, mode="nearest"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 6, (n,), generator=g)
    x = protos[y] + 0.5 * torch.randn(n, 1, 28, 28, generator=g)
    return (x - 0.5) / 0.6, y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 6),
    )


def build_data():
    x, y = _images(1200, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=1e-6, momentum=0.9)


def fixed_optimizer(params):
    return torch.optim.SGD(params, lr=1e-2, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.4,
}
