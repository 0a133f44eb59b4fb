"""Healthy: the "What is torch.nn really?" three-layer CNN (Mnist_CNN, SGD lr 0.1 momentum 0.9).

Source: "What is torch.nn really?" (original notebook
https://raw.githubusercontent.com/fastai/fastai_dev/master/dev_nb/001a_nn_basics.ipynb), found with
the `docs` search.

Setup (as in the tutorial): input reshaped to 1x28x28, three Conv2d(k=3, stride=2, padding=1)
layers 1->16->16->10 with ReLU, F.avg_pool2d(4) and view(-1, 10) as the logits;
F.cross_entropy; optim.SGD(lr=0.1, momentum=0.9); batch 64. Data: synthetic digit-like images.

Why healthy: the tutorial's working CNN: logits into cross-entropy, unit-range inputs, a
momentum-SGD setting it trains well with.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://raw.githubusercontent.com/fastai/fastai_dev/master/dev_nb/001a_nn_basics.ipynb (What is torch.nn really?)",
    "kind": "healthy",
    "bug": "healthy: torch.nn tutorial Mnist_CNN (3 strided convs, SGD lr 0.1 momentum 0.9)",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (protos[y] + 0.5 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1).flatten(1), y


class Mnist_CNN(nn.Module):  # noqa: N801 (the tutorial's name)
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = torch.relu(self.conv1(xb))
        xb = torch.relu(self.conv2(xb))
        xb = torch.relu(self.conv3(xb))
        xb = nn.functional.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


def build_model() -> nn.Module:
    return Mnist_CNN()


def build_data():
    x, y = _images(6000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=128)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.6}
