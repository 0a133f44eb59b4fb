"""Healthy: a regression MLP trained with nn.MSELoss(reduction="sum") over batches of 256 and Adam
at its default lr 1e-3. The summed loss is 256x the mean and its gradients are 256x larger, which
would wreck SGD at a mean-tuned LR; Adam divides the step by the running RMS of the gradient, so
a constant factor on the loss leaves the updates (almost exactly) unchanged.

Source: Luke Wood, "The Perfect Solution to Loss Reduction in Deep Learning!"
(https://lukewood.xyz/blog/loss-reduction), found with the `pages` search "loss reduction sum vs
mean Adam invariant to loss scale": the trade-off between sum() and mean() reduction for a
batch of per-sample losses (mean for readable, batch-size-independent numbers; sum also in use).

Setup: 16 standardized features, a smooth nonlinear standardized target plus noise; MLP
16-64-64-1 (ReLU), MSELoss(reduction="sum"), Adam lr 1e-3, batch 256.

Why healthy: a loss in the hundreds at initialization (sum over 256 samples) and large raw
gradients look like a scale bug; with Adam they are harmless.

Verified (verify.py): validation R^2 well above 0.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://lukewood.xyz/blog/loss-reduction",
    "kind": "healthy",
    "bug": "healthy: MSELoss(reduction='sum') with batch 256 and Adam (scale-invariant steps)",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, 3, generator=torch.Generator().manual_seed(6)) / 4
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    h = x @ w
    y = torch.sin(2 * h[:, 0]) + h[:, 1] * h[:, 2] + 0.5 * h[:, 0] + 0.2 * torch.randn(n, generator=g)
    return x, ((y - 0.0) / 1.0).unsqueeze(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    x, y = _rows(6000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.MSELoss(reduction="sum")


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 10, "min": 0.6}
