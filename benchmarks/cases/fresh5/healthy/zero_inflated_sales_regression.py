"""Healthy: regression on a zero-inflated target (76% of the targets are exactly 0, the rest
positive and skewed, like daily sales per account) with a plain MLP and MSELoss.

Source: "How Zero-inflated Datasets Can Ruin Your Regression Modeling" (Daily Dose of Data
Science, https://blog.dailydoseofds.com/p/how-zero-inflated-datasets-ruin-your), found with the
`pages` search "zero-inflated regression target mostly zeros neural network MSE many zero
values": a target with "plenty of zeros" makes a regressor unable to output exact zeros; the
post proposes a classifier + regressor, but a flexible network already fits such data well in
mean-squared terms, which is all this recipe asks of it.

Setup: 10 standardized features; a sample is non-zero when a nonlinear score exceeds a
threshold (24%), its value then exp(0.8 * another score) + 0.5 (mean 1.2, up to 5.9); MLP
10-64-64-1 ReLU, MSELoss, Adam lr 1e-3, batch 64.

Why healthy: the target distribution is unusual (a spike at 0, a skewed tail, mean far from the
median), but MSE on it is a valid objective and the model fits both parts.

Verified (verify.py): validation R^2.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://blog.dailydoseofds.com/p/how-zero-inflated-datasets-ruin-your",
    "kind": "healthy",
    "bug": "healthy: zero-inflated regression target (76% exact zeros, skewed positives), MLP + MSE",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(10, 2, generator=torch.Generator().manual_seed(90)) / 2
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=g)
    s = x @ w
    active = (s[:, 0] + 0.5 * torch.tanh(x[:, 2])) > 0.75
    y = torch.where(active, torch.exp(0.8 * s[:, 1]) + 0.5, torch.zeros(n))
    return x, y.unsqueeze(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 6, "min": 0.6}
