"""Broken: MNIST logistic regression trained with SGD and weight_decay=0.5.

Source: "Impact of Weight Decay" (https://dejanbatanjac.github.io/2019/07/02/Impact-of-WD.html),
found with the `pages` search: logistic regression (a single nn.Linear(784, 10) with
CrossEntropyLoss) on MNIST, trained with SGD and different weight-decay factors to show how the
decay term changes the batch loss; large factors stop the model from fitting.

Bug: the L2 term weight_decay * w is added to every gradient. At 0.5 (instead of ~5e-4) the
penalty dominates the data loss from the first steps, the optimizer shrinks the weights towards
zero instead of fitting the images, and the classifier underfits badly.

Reproduction: synthetic 10-class 28x28 digit-like images, nn.Linear(784, 10), CrossEntropyLoss,
SGD lr 0.1 weight_decay 0.5, batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy is far below the same model with
weight_decay 5e-4 (the fix) after the same 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://dejanbatanjac.github.io/2019/07/02/Impact-of-WD.html",
    "kind": "broken",
    "bug": "SGD weight_decay 0.5 (1000x the usual 5e-4): the L2 penalty overwhelms the data loss",
    "expect": {"ND401": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.6 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.flatten(1), y


def build_model() -> nn.Module:
    return nn.Linear(784, 10)


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, weight_decay=0.5)


def fixed_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, weight_decay=5e-4)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
