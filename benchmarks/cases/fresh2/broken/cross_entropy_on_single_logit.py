"""Broken: a binary classifier with ONE output unit trained with CrossEntropyLoss on float 0/1
targets of shape [N, 1]: a softmax over one class is always 1, so the loss is identically 0.

Source: APPFL/APPFL issue #60 "Only support torch.nn.CrossEntropyLoss"
(https://github.com/APPFL/APPFL/issues/60), found with the `issues` search "CrossEntropyLoss with
single output neuron binary classification Target 1 is out of bounds": "the number of outfeature
in a neural network (i.e., number of class) can be 1 or 2. If the number is 1, torch.nn.BCELoss
should be used instead of torch.nn.CrossEntropyLoss"; the float-target form of the mistake is the
"Cross entropy always 0.0" report (darioizzo/dcgp#86: one output, "its always correct as the class
is only one").

Bug: with float targets of the output's shape, CrossEntropyLoss takes them as class
probabilities; log_softmax of a single logit is 0, so loss and gradients are exactly zero and the
model never learns.

Reproduction: 16 standardized tabular features, a binary label from a noisy linear rule; MLP
16-32-1; CrossEntropyLoss on targets [N, 1] float; SGD lr 0.1; batch 64.

Verified (verify.py): after 5 epochs the broken model's accuracy is where it started (chance);
BCEWithLogitsLoss on the same output (the fix) learns the rule.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/APPFL/APPFL/issues/60",
    "kind": "broken",
    "bug": "one-unit binary classifier trained with CrossEntropyLoss on [N, 1] float targets (loss always 0)",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND302", "ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, generator=torch.Generator().manual_seed(11))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    y = (x @ w + 0.5 * torch.randn(n, generator=g) > 0).float()
    return x, y[:, None]


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def fixed_loss():
    return nn.BCEWithLogitsLoss()


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 5,
    "fix": {"build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
