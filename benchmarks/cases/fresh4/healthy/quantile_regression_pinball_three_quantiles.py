"""Healthy: quantile regression of the 10th, 50th and 90th percentiles with the pinball
(quantile) loss on heteroscedastic data; the network has three outputs.

Source: pytorch-forecasting's QuantileLoss
(https://pytorch-forecasting.readthedocs.io/en/latest/_modules/pytorch_forecasting/metrics/quantile.html),
found with the `pages` search "quantile loss pinball pytorch multiple quantiles regression":
"Quantile loss, i.e. a quantile of q=0.5 will give half of the mean absolute error as it is
calculated as max(q * (y-y_pred), (1-q) * (y_pred-y))", one output per quantile.

Setup: 8 standardized features; target = nonlinear mean + noise whose scale grows with the first
feature (so the quantiles fan out). MLP 8-64-64-3, pinball loss averaged over the three
quantiles (0.1, 0.5, 0.9), Adam lr 1e-3, batch 64. Metric: R^2 of the median output.

Why healthy: a regression head with several outputs and an L1-like loss whose floor is the
noise's mean absolute deviation, not zero; the three outputs are supposed to differ.

Verified (verify.py): the median output explains most of the target's variance on held-out rows.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch-forecasting.readthedocs.io/en/latest/_modules/pytorch_forecasting/metrics/quantile.html",
    "kind": "healthy",
    "bug": "healthy: MLP with three outputs trained with the pinball loss for quantiles 0.1/0.5/0.9",
    "expect": {},
    "consequences": [],
}

QUANTILES = (0.1, 0.5, 0.9)


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(8, generator=torch.Generator().manual_seed(43))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    mean = torch.tanh(x @ w / 2) + 0.5 * x[:, 1] * x[:, 2]
    noise = (0.15 + 0.25 * torch.sigmoid(2 * x[:, 0])) * torch.randn(n, generator=g)
    return x, mean + noise


class PinballLoss(nn.Module):
    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        q = torch.tensor(QUANTILES)
        err = target[:, None] - pred
        return torch.maximum(q * err, (q - 1) * err).mean()


def median_r2(pred: torch.Tensor, target: torch.Tensor) -> float:
    med = pred[:, 1].double()
    t = target.double()
    return 1.0 - ((t - med) ** 2).sum().item() / ((t - t.mean()) ** 2).sum().item()


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return PinballLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": median_r2, "epochs": 6, "min": 0.6}
