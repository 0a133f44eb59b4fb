"""Broken: a Fashion-MNIST-style MLP is fed raw 0..255 pixels.

Source: GitHub issue tensorflow/tensorflow#47526, "Need for Normalization of Pixel Data can be
mentioned in Basic Image Classification Tutorial" (https://github.com/tensorflow/tensorflow/issues/47526),
found with the `issues` search: the Fashion-MNIST tutorial's "Scale these values to a range of 0 to
1 before feeding them to the neural network model" step, which beginners skip or do not
understand (see the questions linked there).

Bug: without the /255 the 784 inputs are ~100x larger than the default init expects: the first
layer's outputs are huge, the initial loss is far above ln 10 and SGD steps sized for unit-scale
inputs overshoot, so training is erratic and slow.

Reproduction: synthetic 10-class 28x28 clothing-like images as float 0..255, the tutorial's
model (Flatten, Linear(784, 128), ReLU, Linear(128, 10)), CrossEntropyLoss, SGD lr 0.01, batch 32.

Verified (verify.py, VERIFIED.md): validation accuracy after 2 epochs is far below the same model
on inputs divided by 255 (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/tensorflow/tensorflow/issues/47526",
    "kind": "broken",
    "bug": "raw 0..255 pixels fed to an MLP (the /255 scaling step skipped)",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND203", "ND303", "ND402", "ND403", "ND404"],
}


def _images(n: int, seed: int, scale: bool):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(77)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = ((protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1) * 255).round()
    return (x / 255 if scale else x), y


def _loaders(scale: bool):
    x, y = _images(2000, 1, scale)
    xv, yv = _images(500, 2, scale)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def build_data():
    return _loaders(scale=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01)


def fixed_data():
    return _loaders(scale=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 2,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
