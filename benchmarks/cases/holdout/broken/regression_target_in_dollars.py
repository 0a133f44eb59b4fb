"""Broken: house-price regression on standardized features but raw dollar targets (~1e5).

Source: DeepLearning.AI community thread "Multiple Linear Regression - Housing Prices Problem
(cost too high)" (https://community.deeplearning.ai/t/multiple-linear-regression-housing-prices-problem-cost-too-high/211759),
found with the `pages` search: the features were Z-score normalized but the targets left in
dollars, "the predicted values are very SMALL compared to the target values ... the cost will be
huge"; normalizing the targets "managed to reduce the cost function significantly".

Bug: an MLP initialized to output ~0 must reach targets around 180,000 with a spread of 80,000.
The MSE and its gradients are ~1e10, so with a learning rate that is sane for unit-scale targets
(Adam lr 1e-3) the output layer crawls towards the target level and never gets to the detail;
with SGD the same gradients blow the weights up.

Reproduction: 1,460 synthetic houses with 30 standardized features (the Kaggle set's size),
price = 180k + 80k * (non-linear function of a few features), a 30-64-64-1 ReLU MLP, MSELoss,
Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): validation R^2 after 10 epochs stays far below zero (the
predictions have not even reached the price level), while the same MLP on standardized targets
(the fix; predictions mapped back to dollars) explains most of the variance.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://community.deeplearning.ai/t/multiple-linear-regression-housing-prices-problem-cost-too-high/211759",
    "kind": "broken",
    "bug": "regression targets left in dollars (mean 1.8e5) while the inputs are standardized",
    "expect": {"ND402": "warn"},
    "consequences": ["ND201", "ND403", "ND404", "ND405"],
}

MEAN, STD = 180_000.0, 80_000.0


def _houses(standardize_y: bool):
    g = torch.Generator().manual_seed(9)
    x = torch.randn(1460, 30, generator=g)
    w = torch.randn(30, generator=torch.Generator().manual_seed(10)) * 0.3
    z = x @ w + 0.8 * torch.tanh(x[:, 0] + x[:, 1]) + 0.4 * x[:, 2] * x[:, 3]
    z = (z - z.mean()) / z.std() + 0.2 * torch.randn(1460, generator=g)
    price = MEAN + STD * z
    y = (price - MEAN) / STD if standardize_y else price
    return x, y[:, None]


def _loaders(standardize_y: bool):
    x, y = _houses(standardize_y)
    train = DataLoader(
        TensorDataset(x[:1160], y[:1160]), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(x[1160:], y[1160:]), batch_size=300)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _loaders(standardize_y=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(standardize_y=True)


def price_r2(out: torch.Tensor, y: torch.Tensor) -> float:
    if y.abs().mean() < 100:  # standardized targets (the fix): map both back to dollars
        out, y = out * STD + MEAN, y * STD + MEAN
    return 1 - ((out - y) ** 2).sum().item() / ((y - y.mean()) ** 2).sum().item()


VERIFY = {
    "metric": price_r2,
    "epochs": 10,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.5,
}
