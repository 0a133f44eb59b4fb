"""Broken: images already scaled to [0, 1] (as ToTensor does) are then normalized with constants
meant for 0-255 pixels, ``Normalize(mean=127.5, std=128)``. Every input lands in
[-0.996, -0.988]: nearly constant, about -1, with 1/128 of the intended spread, so a CNN without
normalization layers sees almost no signal and trains very slowly.

Source: choyingw/SynergyNet issue #19 "Normalization, ToTensor, PILToTensor"
(https://github.com/choyingw/SynergyNet/issues/19), found with the `issues` search
"Normalize mean=[125.3, 123.0, 113.9] std=[63.0, 62.1, 66.7] after ToTensor wrong scale": the
reporter works out that ToTensor() divides by 255 and then Normalize(mean=127.5, std=128) maps
the intensities to about [-0.998, 0.996]... "quiet opposite for what I would consider
normalization", and proposes PILToTensor. (In that repository the custom ToTensor did not
scale, so the issue was closed; the mechanism is the common torchvision pitfall.)

Reproduction: 1x16x16 synthetic images in [0, 1] of 3 classes (a bright square in one of three
regions on a noisy background), the transform applied in build_data:
(x - 127.5) / 128. A small plain CNN (conv 8, conv 16, no BatchNorm), SGD lr 0.01 momentum 0.9,
batch 32. The fix normalizes with mean 0.5, std 0.5 (inputs in [-1, 1]).

Verified (verify.py): the fixed normalization ends clearly more accurate in the same budget.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/choyingw/SynergyNet/issues/19",
    "kind": "broken",
    "bug": "[0, 1] images normalized with 0-255 constants (mean 127.5, std 128): inputs ~ -0.99 with std ~0.002",
    "expect": {"ND101": "warn"},
    "consequences": ["ND402", "ND403", "ND404"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = 0.35 + 0.15 * torch.rand(n, 1, 16, 16, generator=g)
    for i in range(n):
        r0 = int(torch.randint(0, 4, (1,), generator=g))
        c0 = 5 * int(y[i]) + int(torch.randint(0, 2, (1,), generator=g))
        x[i, 0, r0 + 6 : r0 + 10, c0 : c0 + 4] += 0.4
    return x.clamp(0, 1), y


def _loaders(mean: float, std: float):
    x, y = _images(1500, 1)
    xv, yv = _images(500, 2)
    x, xv = (x - mean) / std, (xv - mean) / std
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=250)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 3),
    )


def build_data():
    return _loaders(127.5, 128.0)


def fixed_data():
    return _loaders(0.5, 0.5)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
