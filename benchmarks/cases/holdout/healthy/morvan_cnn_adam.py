"""Healthy: MorvanZhou's PyTorch-Tutorial "401 CNN" (two conv blocks, Adam lr 0.001, batch 50).

Source: MorvanZhou/PyTorch-Tutorial, tutorial-contents-notebooks/401_CNN.ipynb
(https://raw.githubusercontent.com/arunslb123/PyTorch-Tutorial/master/tutorial-contents-notebooks/401_CNN.ipynb),
found with the `docs` search.

Setup (as in the notebook): Conv2d(1, 16, 5, padding=2) + ReLU + MaxPool(2), Conv2d(16, 32, 5,
padding=2) + ReLU + MaxPool(2), Linear(32*7*7, 10); CrossEntropyLoss; Adam lr 0.001; batch 50;
inputs in [0, 1]. Data: synthetic 28x28 digit-like images.

Why healthy: a standard small CNN with the default Adam learning rate and logits into
cross-entropy.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 2 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://raw.githubusercontent.com/arunslb123/PyTorch-Tutorial/master/tutorial-contents-notebooks/401_CNN.ipynb",
    "kind": "healthy",
    "bug": "healthy: MorvanZhou 401 CNN (2 conv blocks, Adam lr 1e-3, batch 50)",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (protos[y] + 0.5 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1), y


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        return self.out(x.view(x.size(0), -1))


def build_model() -> nn.Module:
    return CNN()


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.001)


VERIFY = {"metric": "accuracy", "epochs": 2, "min": 0.8}
