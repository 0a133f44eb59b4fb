"""Broken: the training features are standardized with the training set's mean and std, but the
validation features are fed raw. The model is fine on the data it trains on and much worse on
the held-out rows, which live on another scale (the same raw feature value means something else
to the network).

Source: DeepLearning.AI community thread "Can Feature Scaling be applied for test set?"
(https://community.deeplearning.ai/t/can-feature-scaling-be-applied-for-test-set/223096), found
with the `pages` search "forgot to normalize test set StandardScaler fit on training only
validation accuracy low": a binary classifier trained on mean-normalized data scored about 0.75
on the untouched test set and about 0.88 once the training scaler was applied to it.

Reproduction: 10 tabular features with raw means 5-50 and stds 1-20 (think ages, incomes in
thousands, counts); a binary label from a noisy nonlinear rule on the standardized values. MLP
10-64-64-1, BCEWithLogitsLoss, Adam lr 1e-3, batch 64. The training loader holds standardized
rows, the validation loader the raw rows. The fix standardizes the validation rows with the
training mean and std.

Verified (verify.py): training accuracy far above validation accuracy, and the fixed validation
set scores much better.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://community.deeplearning.ai/t/can-feature-scaling-be-applied-for-test-set/223096",
    "kind": "broken",
    "bug": "training features standardized, validation features left on their raw scales",
    "expect": {"ND405": "warn"},
    "consequences": ["ND101"],
}

MEAN = torch.tensor([5.0, 12.0, 30.0, 45.0, 8.0, 20.0, 50.0, 15.0, 9.0, 33.0])
STD = torch.tensor([1.0, 4.0, 10.0, 20.0, 2.0, 6.0, 15.0, 5.0, 3.0, 12.0])


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(10, 3, generator=torch.Generator().manual_seed(21))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 10, generator=g)
    h = torch.tanh(z @ w)
    y = ((h[:, 0] + h[:, 1] * h[:, 2] + 0.2 * torch.randn(n, generator=g)) > 0).float().unsqueeze(1)
    return MEAN + STD * z, y


def _loaders(scale_val: bool):
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    mu, sd = x.mean(0), x.std(0)
    x = (x - mu) / sd
    if scale_val:
        xv = (xv - mu) / sd
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _loaders(scale_val=False)


def fixed_data():
    return _loaders(scale_val=True)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 6,
    "fix": {"build_data": fixed_data},
    "claims": ["gap:0.15", "worse_than_fix"],
    "margin": 0.15,
}
