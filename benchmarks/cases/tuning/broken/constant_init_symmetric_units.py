"""Broken: all weights of a tanh MLP are initialized to the same constant.

Source: "Weight Initialization" notes, section "初始化为相同的值" (initializing to the same value)
(https://pages.dogdog.run/machine_learning/weight_initialization.html), found with the `pages`
search: if the weights start identical "all neurons will keep having the same output, so the
neurons lose their meaning", demonstrated with a PyTorch layer whose gradient rows stay equal.

Bug: nn.init.constant_(w, 0.05) on every layer makes all hidden units of a layer compute the same
function and receive the same gradient, so they stay identical forever: the 64-unit hidden
layers act as one unit each, the MLP sees its input through a single projection and cannot
represent an XOR-like decision.

Reproduction: a 3-class XOR-like problem on 4-d Gaussian inputs (the class depends on the signs of
the first two coordinates: quadrants 0 and 3 share a class), a
4-64-64-3 tanh MLP with every weight set to 0.05 and biases to 0, CrossEntropyLoss, SGD lr 0.1
momentum 0.9, batch 32.

Verified (verify.py, VERIFIED.md): validation accuracy stays well below that of default init (the
fix), which classifies the quadrants.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pages.dogdog.run/machine_learning/weight_initialization.html",
    "kind": "broken",
    "bug": "every weight initialized to the same constant (0.05): hidden units identical forever",
    "expect": {"ND202": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}


def _clusters(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    quadrant = (x[:, 0] > 0).long() * 2 + (x[:, 1] > 0).long()  # XOR-like: 4 quadrants, 3 classes
    return x, torch.tensor([0, 1, 2, 0])[quadrant]


def _mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3))


def build_model() -> nn.Module:
    model = _mlp()
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.05)
            nn.init.zeros_(m.bias)
    return model


def build_data():
    x, y = _clusters(1200, 1)
    xv, yv = _clusters(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def fixed_model() -> nn.Module:
    return _mlp()


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
