"""Broken: a count regressor whose output head is a hand-written softplus, log(1 + exp(z)), goes
inf/NaN once the pre-activation grows past ~88 on the way to large targets.

Source: tracel-ai/burn issue #5373 "softplus overflows to inf for large inputs, producing NaN
gradients" (https://github.com/tracel-ai/burn/issues/5373), found with the `issues` search
"softplus log(1+exp(x)) overflow inf nan custom implementation": "`exp` overflows above ~88.7 in
`f32`, so `log(inf) = inf` ... the saturated element yields a NaN gradient, which then propagates
into the shared parameter gradients"; the same report for NumPy is rushter/MLAlgorithms #30. The
fix is the thresholded softplus (torch.nn.functional.softplus returns z above 20).

Bug: softplus(z) ~ z for large z, so fitting counts in the hundreds drives z past 88.7, where
exp(z) = inf: the prediction is inf, the MSE is inf, and the backward exp(z)/(1+exp(z)) = inf/inf
is NaN. At initialization z is near 0 and everything is finite; the overflow arrives as the model
learns the target scale.

Reproduction: 12 standardized features of a bike-sharing-like daily count (a positive target of
mean ~150, up to ~400), MLP 12-64-64-1 with the hand-written softplus on the output, nn.MSELoss,
Adam lr 3e-2, batch 64.

Verified (verify.py): the training loss becomes non-finite within the budget, while the same
model with torch.nn.functional.softplus (the fix) reaches a good R^2.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/tracel-ai/burn/issues/5373",
    "kind": "broken",
    "bug": "hand-written softplus torch.log(1 + torch.exp(z)) on a count head overflows to inf/NaN once z > ~88",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    rate = 150.0 * torch.exp(0.35 * torch.tanh(x @ w / 2.0) + 0.1 * x[:, 0])
    y = torch.poisson(rate, generator=g)
    return x, y


class HandSoftplus(nn.Module):
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.log(1 + torch.exp(z))


class CountNet(nn.Module):
    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x).squeeze(1))


def build_model() -> nn.Module:
    return CountNet(HandSoftplus())


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-2)


def fixed_model() -> nn.Module:
    return CountNet(nn.Softplus())


VERIFY = {
    "metric": "r2",
    "epochs": 6,
    "fix": {"build_model": fixed_model},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
