"""Healthy: Dive into Deep Learning's concise MLP (Fashion-MNIST, 784-256-10, SGD lr 0.1, batch 256).

Source: d2l.ai "Concise Implementation of Multilayer Perceptrons"
(https://d2l.ai/chapter_multilayer-perceptrons/mlp-concise.html, discussed in d2l-ai/d2l-en#1123),
found with the `issues` search.

Setup (as in the book): nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10) with
weights N(0, 0.01^2); CrossEntropyLoss; SGD lr 0.1; batch 256; inputs in [0, 1]. Data: synthetic
28x28 clothing-like images.

Why healthy: the book's reference setup; small-std init with a single hidden layer is fine, the
loss sees logits.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 10 epochs (the
book's budget).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://d2l.ai/chapter_multilayer-perceptrons/mlp-concise.html (d2l-ai/d2l-en#1123)",
    "kind": "healthy",
    "bug": "healthy: d2l concise MLP (784-256-10, N(0, 0.01) init, SGD lr 0.1, batch 256)",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(77)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1), y


def build_model() -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
    return net


def build_data():
    x, y = _images(3000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=256)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


VERIFY = {"metric": "accuracy", "epochs": 10, "min": 0.7}
