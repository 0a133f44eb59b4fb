"""Healthy: count regression with nn.PoissonNLLLoss on the log-rate (log_input=True), the model's
output being the log of the expected count.

Source: the torch.nn.PoissonNLLLoss reference
(https://pytorch.org/docs/stable/generated/torch.nn.PoissonNLLLoss.html): "log_input (bool,
optional) - if True the loss is computed as exp(input) - target * input", chosen as the stable
counterpart of the hand-written softplus count head of fresh3/broken (tracel-ai/burn issue #5373,
found with the `issues` search "softplus log(1+exp(x)) overflow inf nan custom implementation").

Setup: 12 standardized features of a bike-sharing-like daily count (mean ~150), MLP 12-64-64-1
whose output bias starts at log(mean count), nn.PoissonNLLLoss(log_input=True), Adam lr 3e-3,
batch 64. The metric is R^2 of exp(output) against the counts.

Why healthy: the network predicts log counts (about 5), far from exp()'s overflow; the Poisson
likelihood matches the target, and the learning rate is moderate.

Verified (verify.py): the validation R^2 of the predicted rate rises well above 0 in 6 epochs.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.PoissonNLLLoss.html",
    "kind": "healthy",
    "bug": "healthy: count MLP predicting the log-rate, trained with nn.PoissonNLLLoss(log_input=True)",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, generator=torch.Generator().manual_seed(29))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    rate = 150.0 * torch.exp(0.35 * torch.tanh(x @ w / 2.0) + 0.1 * x[:, 0])
    return x, torch.poisson(rate, generator=g)


def rate_r2(out: torch.Tensor, y: torch.Tensor) -> float:
    pred, y = out.exp().reshape(-1).double(), y.reshape(-1).double()
    return 1.0 - ((y - pred) ** 2).sum().item() / ((y - y.mean()) ** 2).sum().item()


class LogRateNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
        nn.init.constant_(self.net[-1].bias, math.log(150.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def build_model() -> nn.Module:
    return LogRateNet()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.PoissonNLLLoss(log_input=True)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {"metric": rate_r2, "epochs": 6, "min": 0.3}
