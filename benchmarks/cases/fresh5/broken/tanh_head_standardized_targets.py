"""Broken: a regression head ending in tanh on z-score standardized targets. tanh is bounded to
(-1, 1) but 23% of these standardized targets lie outside it (the cubic tail reaches 12), so the
model can never predict them and R^2 is capped.

Source: soumith/ganhacks issue #75 "Activation functions for training and testing phases"
(https://github.com/soumith/ganhacks/issues/75), found with the `issues` search "tanh output
activation regression targets z-score standardized values greater than 1 predictions
saturate": the answer says targets must be scaled into [-1, 1] (y/400 - 1 for labels in
[0, 800]) when the output is tanh. Here the targets were standardized (mean 0, std 1), which
is not the same thing.

Reproduction: 12 standardized features, target a smooth function plus a heavy-tailed term,
standardized; MLP 12-64-64-1 with a final nn.Tanh(), MSELoss, Adam lr 1e-3, batch 64. The fix
drops the final tanh (linear output).

Verified (verify.py): the linear head reaches a much higher validation R^2.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/soumith/ganhacks/issues/75",
    "kind": "broken",
    "bug": "final nn.Tanh() on a regression head whose standardized targets lie outside (-1, 1) 23% of the time",
    "expect": {"ND108": "warn"},
    "consequences": ["ND402", "ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, generator=torch.Generator().manual_seed(6))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    raw = x @ w + x[:, 0] ** 3
    y = (raw - raw.mean()) / raw.std()  # standardized with the sample's own statistics
    return x, y.unsqueeze(1)


def _mlp(tanh: bool) -> nn.Module:
    layers = [nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)]
    return nn.Sequential(*layers, nn.Tanh()) if tanh else nn.Sequential(*layers)


def build_model() -> nn.Module:
    return _mlp(tanh=True)


def fixed_model() -> nn.Module:
    return _mlp(tanh=False)


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "r2",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
