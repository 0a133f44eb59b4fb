"""Healthy: the PyTorch Quickstart / "Build the Neural Network" MLP on FashionMNIST-like images.

Source: PyTorch tutorial "Build the Neural Network"
(https://PyTorch.org/tutorials/beginner/basics/buildmodel_tutorial.html) and its Quickstart
training code (as in the gist https://gist.github.com/hopezh/1bf785a2e257e7f22256586b34218d64),
found with the `docs` search.

Setup (as in the tutorial): Flatten, Linear(784, 512), ReLU, Linear(512, 512), ReLU,
Linear(512, 10); CrossEntropyLoss; SGD lr 1e-3; batch 64; ToTensor() pixels in [0, 1]. The data
are synthetic 10-class 28x28 clothing-like images (no download).

Why healthy: a standard, correctly wired classifier: logits into CrossEntropyLoss, unit-range
inputs, default init, a small but workable learning rate.

Verified (verify.py, VERIFIED.md): validation accuracy rises from chance to well above it in the
tutorial's 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://PyTorch.org/tutorials/beginner/basics/buildmodel_tutorial.html",
    "kind": "healthy",
    "bug": "healthy: PyTorch Quickstart MLP (784-512-512-10, SGD lr 1e-3)",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(77)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (protos[y] + 0.3 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1), y


class NeuralNetwork(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


def build_model() -> nn.Module:
    return NeuralNetwork()


def build_data():
    x, y = _images(12000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=64)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.4}
