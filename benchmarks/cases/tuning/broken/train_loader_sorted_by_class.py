"""Broken: the training DataLoader is not shuffled and the dataset is stored sorted by class.

Source: GitHub issue Deci-AI/super-gradients#416, "Default dataloader params have shuffle=False"
(https://github.com/Deci-AI/super-gradients/issues/416), found with the `issues` search: "By
default, it does not pass shuffle=True to the dataloader, so SequentialSampler gets instantiated.
In training on Imagenet it makes NN see only examples of a single class which quickly throws it
out of the minima. Passing shuffle=True to the dataloader params solves the issue."

Bug: the samples are stored class after class (as an ImageFolder lists them) and read in order,
so every batch holds one class; each stretch of steps pulls the network towards "always predict
class k", and at the end of an epoch it mostly predicts the last classes it saw.

Reproduction: synthetic 10-class 28x28 images stored sorted by label, a 784-128-10 ReLU MLP,
CrossEntropyLoss, SGD lr 0.05 momentum 0.9, DataLoader(batch_size=64, shuffle=False).

Verified (verify.py, VERIFIED.md): nearly every training batch holds a single class and validation
accuracy ends far below the same setup with shuffle=True (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Deci-AI/super-gradients/issues/416",
    "kind": "broken",
    "bug": "training data stored sorted by class and loaded with shuffle=False: one-class batches",
    "expect": {"ND109": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.5 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    order = y.argsort(stable=True)  # stored class by class
    return x.flatten(1)[order], y[order]


def _loaders(shuffle: bool):
    x, y = _images(2560, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=shuffle, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def build_data():
    return _loaders(shuffle=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


def fixed_data():
    return _loaders(shuffle=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 2,
    "fix": {"build_data": fixed_data},
    "claims": ["single_class_batches:0.7", "worse_than_fix"],
    "margin": 0.3,
}
