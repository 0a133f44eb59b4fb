"""Healthy: the PyTorch "Training a Classifier" (CIFAR-10) LeNet with SGD lr 0.001 momentum 0.9.

Source: PyTorch tutorial "Training a Classifier"
(https://raw.githubusercontent.com/pytorch/tutorials/master/beginner_source/blitz/cifar10_tutorial.py),
found with the `docs` search.

Setup (as in the tutorial): images normalized with mean 0.5 / std 0.5 per channel; Net =
Conv2d(3, 6, 5), MaxPool2d(2), Conv2d(6, 16, 5), Linear(400, 120), Linear(120, 84), Linear(84, 10)
with ReLU; CrossEntropyLoss; SGD lr 0.001 momentum 0.9; batch size 4. Data: synthetic 3x32x32
images of 10 classes (no download).

Why healthy: the canonical beginner CNN: normalized inputs, logits into cross-entropy, a small
stable learning rate; the small batch is the tutorial's own choice and has no BatchNorm to suffer
from it.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 2 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://raw.githubusercontent.com/pytorch/tutorials/master/beginner_source/blitz/cifar10_tutorial.py",
    "kind": "healthy",
    "bug": "healthy: CIFAR-10 tutorial LeNet (SGD lr 0.001 momentum 0.9, batch 4)",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 3, 4, 4, generator=torch.Generator().manual_seed(4321)), size=32, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.3 * torch.randn(n, 3, 32, 32, generator=g)).clamp(0, 1)
    return (x - 0.5) / 0.5, y


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def build_model() -> nn.Module:
    return Net()


def build_data():
    x, y = _images(1500, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=4)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.001, momentum=0.9)


VERIFY = {"metric": "accuracy", "epochs": 2, "min": 0.5}
