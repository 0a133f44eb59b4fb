"""Broken: a heart-disease-style tabular classifier trained with Adam at lr 0.1.

Source: "Learning Rate Analysis" (https://sanaat.mintlify.app/docs/experiments/learning-rate),
found with the `pages` search: on a 1,025-sample heart disease dataset with Adam and ReLU
activations, "0.1 - Model failed to learn (~51% accuracy)", "the steps are so large that the
optimizer overshoots", while 0.001 was the most stable.

Bug: Adam's first steps move every weight by about lr regardless of the gradient's size, so
lr 0.1 changes unit-scale weights by ~10% per step: the loss jumps around, ReLU units are knocked
dead and the model ends near chance.

Reproduction: 1,025 synthetic patients with 13 standardized features (age, blood pressure,
cholesterol, ... stand-ins) and a non-linear binary outcome, a 13-64-64-64-1 ReLU MLP (the page does not give its architecture),
BCEWithLogitsLoss, Adam lr 0.1, batch 32.

Verified (verify.py, VERIFIED.md): validation accuracy after 10 epochs is clearly below the same
model with Adam lr 1e-3 (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://sanaat.mintlify.app/docs/experiments/learning-rate",
    "kind": "broken",
    "bug": "Adam learning rate 0.1 for a small MLP (100x the usual 1e-3)",
    "expect": {"ND403": "warn", "ND404": "warn"},
    "consequences": ["ND303", "ND402", "ND405"],
}


def _patients():
    g = torch.Generator().manual_seed(21)
    x = torch.randn(1025, 13, generator=g)
    w = torch.randn(13, generator=torch.Generator().manual_seed(5)) * 0.6
    logit = x @ w + 0.9 * torch.tanh(x[:, 0] * x[:, 1]) - 0.5 * x[:, 2] ** 2 + 0.5
    return x, (logit + 0.4 * torch.randn(1025, generator=g) > 0).float()[:, None]


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(13, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)
    )


def build_data():
    x, y = _patients()
    train = DataLoader(
        TensorDataset(x[:820], y[:820]), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(x[820:], y[820:]), batch_size=205)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.1)


def fixed_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 10,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
