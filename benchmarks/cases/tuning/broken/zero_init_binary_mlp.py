"""Broken: every weight and bias of a ReLU MLP binary classifier is initialized to zero.

Source: "How does initializing all weights and biases to zero affect a neural network's training?"
(https://intvml.com/ml0033-all-zeros-init/), found with the `pages` search, which compares zero
init with random init on a binary classification problem; the CS231n "Pitfall: all zero
initialization" note quoted in wagonhelm/NaNmnist#2 explains the symmetry.

Bug: with all-zero weights and biases every hidden ReLU outputs 0, so every hidden weight gets
exactly zero gradient; only the output bias moves. The network is stuck predicting the base rate.

Reproduction: two-moons-like 2-d binary data, a 2-64-64-1 ReLU MLP initialized with
nn.init.zeros_ on every Linear weight and bias, BCEWithLogitsLoss, Adam lr 1e-2, batch 32.

Verified (verify.py, VERIFIED.md): hidden-layer weights never change and validation accuracy
stays at the base rate; with default init (the fix) the MLP separates the moons.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://intvml.com/ml0033-all-zeros-init/",
    "kind": "broken",
    "bug": "all Linear weights and biases initialized to zero (nn.init.zeros_)",
    "expect": {"ND202": "warn"},
    "consequences": ["ND203", "ND301", "ND302", "ND402", "ND404", "ND405"],
}


def _moons(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * math.pi
    y = torch.randint(0, 2, (n,), generator=g).float()
    x = torch.stack([torch.cos(t) - y, torch.sin(t) * (1 - 2 * y) + 0.5 * y], 1)
    return x + 0.15 * torch.randn(n, 2, generator=g), y[:, None]


def _mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_model() -> nn.Module:
    model = _mlp()
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def build_data():
    x, y = _moons(1000, 1)
    xv, yv = _moons(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def fixed_model() -> nn.Module:
    return _mlp()


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["frozen:0.", "worse_than_fix"],
    "margin": 0.2,
}
