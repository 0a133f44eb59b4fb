"""Healthy: heteroscedastic regression with nn.GaussianNLLLoss: the network predicts a mean and a
log-variance per sample; the loss becomes negative once the predicted variances are small, which
is normal for a density on continuous targets.

Source: roggirg/AutoBots issue #7 "Question about negative loss"
(https://github.com/roggirg/AutoBots/issues/7), found with the `issues` search "GaussianNLLLoss
negative loss value predicted variance is this normal": "Indeed, this is normal behavior. NLL
can have negative values when parameterizing Gaussian distributions."

Setup: 8 standardized features, target = smooth function + noise whose std (0.05-0.3) depends on
the first feature; MLP 8-64-64-2 (column 0 the mean, column 1 the log-variance), loss
GaussianNLLLoss(mean, y, exp(log_var)), Adam lr 1e-3, batch 64.

Why healthy: a proper likelihood; the loss floor is -log-density, below zero for noise std < 0.24.

Verified (verify.py): R^2 of the predicted mean on held-out data.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/roggirg/AutoBots/issues/7",
    "kind": "healthy",
    "bug": "healthy: mean + log-variance head trained with GaussianNLLLoss (negative loss is normal)",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(8, generator=torch.Generator().manual_seed(12)) / 3
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    noise_std = 0.05 + 0.25 * torch.sigmoid(2 * x[:, 0])
    y = torch.sin(x @ w) + 0.3 * x[:, 1] + noise_std * torch.randn(n, generator=g)
    return x, y


class GaussianHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class GaussianNLL(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.nll = nn.GaussianNLLLoss()

    def forward(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.nll(out[:, 0], y, out[:, 1].clamp(-10, 10).exp())


def mean_r2(out: torch.Tensor, y: torch.Tensor) -> float:
    pred, y = out[:, 0].double(), y.double()
    return 1.0 - ((y - pred) ** 2).sum().item() / ((y - y.mean()) ** 2).sum().item()


def build_model() -> nn.Module:
    return GaussianHead()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return GaussianNLL()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": mean_r2, "epochs": 6, "min": 0.7}
