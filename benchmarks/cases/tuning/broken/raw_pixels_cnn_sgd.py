"""Broken: a CNN is trained on raw 0..255 pixel values with SGD.

Source: GitHub issue chainer/chainercv#358, "pixel value preprocess not divide by 255.0, so it may
be explode during further conv layer" (https://github.com/chainer/chainercv/issues/358), found
with the `issues` search.

Bug: the images reach the network as bytes 0..255 (mean about 120), never scaled or standardized.
The first conv layer's pre-activations are ~100x their intended size, the gradients of the first
layers are ~100x too, and an SGD step that suits normalized inputs throws the weights far off:
the loss explodes or the ReLUs die.

Reproduction: synthetic 3x32x32 colour images of 10 classes (class templates + noise) stored as
float 0..255, a LeNet-style CNN (two conv-pool blocks, two Linear layers), CrossEntropyLoss,
SGD lr 0.01 momentum 0.9 (the CIFAR tutorial setting), batch 32.

Verified (verify.py, VERIFIED.md): validation accuracy stays near chance (or the loss becomes
non-finite) while the same CNN on standardized inputs (the fix) learns.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/chainer/chainercv/issues/358",
    "kind": "broken",
    "bug": "raw 0..255 pixel values fed to a CNN trained with SGD (no scaling or standardization)",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND203", "ND204", "ND301", "ND303", "ND402", "ND403", "ND404"],
}


def _images(n: int, seed: int, scale: bool):
    protos = nn.functional.interpolate(
        torch.rand(10, 3, 4, 4, generator=torch.Generator().manual_seed(4321)), size=32, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = ((protos[y] + 0.3 * torch.randn(n, 3, 32, 32, generator=g)).clamp(0, 1) * 255).round()
    return ((x / 255 - 0.5) / 0.25 if scale else x), y


def _loaders(scale: bool):
    x, y = _images(1500, 1, scale)
    xv, yv = _images(300, 2, scale)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def build_data():
    return _loaders(scale=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def fixed_data():
    return _loaders(scale=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
