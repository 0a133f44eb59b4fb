"""Healthy: a small pre-activation-free ResNet with BatchNorm, SGD lr 0.1 momentum 0.9 weight_decay 5e-4.

Source: GitHub issue titu1994/Wide-Residual-Networks#15, "Missing weight decay in model"
(https://github.com/titu1994/Wide-Residual-Networks/issues/15), found with the `issues` search:
"The model is missing the weight decay of 0.0005 described in the paper", i.e. the standard
CIFAR ResNet/WRN recipe: SGD, lr 0.1, momentum 0.9, weight decay 5e-4, BatchNorm, batch 128.

Setup: a ResNet for 3x16x16 inputs (CIFAR's 32x32 halved to keep the run short) (stem conv 8, three stages of one BasicBlock each with
8/16/32 channels, stride 2 between stages, BatchNorm after every conv with bias=False, identity
or 1x1-conv shortcuts, global average pool, Linear to 10), CrossEntropyLoss, SGD lr 0.1
momentum 0.9 weight_decay 5e-4, batch 64. Data: synthetic 10-class colour images, standardized.

Why healthy: the textbook CIFAR recipe; BatchNorm sees batches of 64, convs before BatchNorm have
no bias, the weight decay is the usual 5e-4.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/titu1994/Wide-Residual-Networks/issues/15",
    "kind": "healthy",
    "bug": "healthy: small BN ResNet, SGD lr 0.1 momentum 0.9 weight_decay 5e-4 (CIFAR recipe)",
    "expect": {},
    "consequences": [],
}


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.layers = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 16, 2), BasicBlock(16, 32, 2))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(nn.functional.adaptive_avg_pool2d(self.layers(self.stem(x)), 1).flatten(1))


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 3, 4, 4, generator=torch.Generator().manual_seed(4321)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = protos[y] + 0.5 * torch.randn(n, 3, 16, 16, generator=g)
    return (x - 0.5) / 0.55, y


def build_model() -> nn.Module:
    return ResNet()


def build_data():
    x, y = _images(1000, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.7}
