"""Healthy: the "What is torch.nn really?" logistic regression (Mnist_Logistic, SGD lr 0.5).

Source: Jeremy Howard's "What is torch.nn really?" tutorial (PyTorch tutorials; the original
notebook https://raw.githubusercontent.com/fastai/fastai_dev/master/dev_nb/001a_nn_basics.ipynb),
found with the `docs` search.

Setup (as in the tutorial): `Mnist_Logistic`, a single nn.Linear(784, 10) on flattened images in
[0, 1]; F.cross_entropy; optim.SGD(lr=0.5); batch size 64; validation batch 128. Data: synthetic
10-class 28x28 digit-like images.

Why healthy: a linear softmax classifier is convex; lr 0.5 is large for a deep net but right for
this shallow model on unit-range inputs, as the tutorial shows.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://raw.githubusercontent.com/fastai/fastai_dev/master/dev_nb/001a_nn_basics.ipynb (What is torch.nn really?)",
    "kind": "healthy",
    "bug": "healthy: torch.nn tutorial Mnist_Logistic (Linear 784->10, SGD lr 0.5)",
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


class Mnist_Logistic(nn.Module):  # noqa: N801 (the tutorial's name)
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def build_model() -> nn.Module:
    return Mnist_Logistic()


def build_data():
    x, y = _images(3000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=128)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.5)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.8}
