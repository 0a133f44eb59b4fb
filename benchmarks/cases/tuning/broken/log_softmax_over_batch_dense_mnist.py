"""Broken: a dense MNIST classifier ends in nn.LogSoftmax(dim=0), normalizing over the batch.

Source: GitHub issue MicrosoftDocs/pytorchfundamentals#4, "Why is the dim=0 in LogSoftmax? not
dim=1?" (https://github.com/MicrosoftDocs/pytorchfundamentals/issues/4), found with the `issues`
search, about the "multilayer dense neural networks" notebook of Microsoft's PyTorch Fundamentals
course; the follow-up pull request #21 calls it a code error.

Bug: with dim=0 each output column is normalized across the samples of the batch, so a sample's
"log-probabilities" depend on its batch-mates, and NLLLoss trains "which sample in this batch is
most likely a 3" rather than "which digit is this sample". Scored one image at a time, every
output is 0 and the predicted class is always 0.

Reproduction: synthetic 10-class 28x28 digit-like images, the notebook's network (Flatten,
Linear(784, 100), ReLU, Linear(100, 10), LogSoftmax(dim=0)), NLLLoss, Adam lr 1e-3, batch 64;
validation scores one image at a time.

Verified (verify.py, VERIFIED.md): a sample's output changes with its batch-mates, and
one-at-a-time validation accuracy is near chance versus LogSoftmax(dim=1) (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/MicrosoftDocs/pytorchfundamentals/issues/4",
    "kind": "broken",
    "bug": "nn.LogSoftmax(dim=0) normalizes over the batch instead of the classes",
    "expect": {"ND304": "warn", "ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x, y


def _net(dim: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10), nn.LogSoftmax(dim=dim))


def build_model() -> nn.Module:
    return _net(dim=0)


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1)


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return _net(dim=1)


VERIFY = {
    "metric": "accuracy",
    "epochs": 2,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.3,
}
