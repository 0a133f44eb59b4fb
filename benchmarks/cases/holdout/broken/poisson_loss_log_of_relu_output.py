"""Broken: a count regressor with a ReLU rate output and a hand-written Poisson loss log(rate).

Source: GitHub pull request deepchem/deepchem#5125, "fix: add epsilon guard to torch.log in
PoissonLoss and CategoricalCrossEntropy" (https://github.com/deepchem/deepchem/pull/5125), found
with the `issues` search: "PoissonLoss and CategoricalCrossEntropy – log(0) causes -inf / NaN in
PyTorch path" (issue #5099); the loss computed `output - labels * torch.log(output)`.

Bug: the rate is produced by a ReLU, which outputs exactly 0 for about half of the samples at
initialization. log(0) = -inf, so labels * log(rate) is -inf (or 0 * -inf = NaN for zero counts):
the loss is inf/NaN from the first batch, and its gradient poisons every weight.

Reproduction: event counts drawn from a Poisson whose log-rate is a linear function of 8
standardized features, an 8-32-1 MLP with nn.ReLU on the output as the rate, loss
mean(rate - y * log(rate)), Adam lr 1e-2, batch 64.

Verified (verify.py, VERIFIED.md): the training loss is non-finite from the first step, while the
same model with a softplus rate and log(rate + 1e-8) (the fix) fits the counts.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/deepchem/deepchem/pull/5125",
    "kind": "broken",
    "bug": "log of a ReLU output (exactly 0 for half the samples) in a Poisson loss: -inf/NaN",
    "expect": {"ND204": "warn"},
    "consequences": ["ND201", "ND402", "ND403", "ND404"],
}


class PoissonLoss(nn.Module):
    def __init__(self, eps: float = 0.0) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, rate, counts):
        return (rate - counts * torch.log(rate + self.eps)).mean()


def _counts(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    w = torch.randn(8, generator=torch.Generator().manual_seed(3)) * 0.4
    return x, torch.poisson((x @ w + 1.0).exp(), generator=g)[:, None]


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1), nn.ReLU())


def build_data():
    x, y = _counts(2000, 1)
    xv, yv = _counts(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return PoissonLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def fixed_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1), nn.Softplus())


def fixed_loss():
    return PoissonLoss(eps=1e-8)


VERIFY = {
    "metric": "r2",
    "epochs": 5,
    "fix": {"build_model": fixed_model, "build_loss": fixed_loss},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.3,
}
