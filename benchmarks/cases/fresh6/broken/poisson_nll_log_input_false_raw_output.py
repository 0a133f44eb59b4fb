"""Broken: nn.PoissonNLLLoss(log_input=False) on the raw output of a Linear layer. With
log_input=False the loss is input - target * log(input + eps), so the input must be a positive
rate; a Linear output is negative for about half the samples at initialization, log of a
negative number is NaN, and the NaN loss poisons every weight at the first step.

Source: pytorch/pytorch issue #184030 "torch.nn.PoissonNLLLoss returns NaN for negative input when
log_input=False" (https://github.com/pytorch/pytorch/issues/184030), found with the `issues`
search "PoissonNLLLoss log_input=True default but model outputs rate exp softplus": the report
shows NaN for every negative input element; the linked documentation PR describes users
"feeding real-valued pre-activations (e.g. the output of a Linear with no positivity-enforcing
activation)" into the loss.

Reproduction: 12 standardized features, Poisson counts with log-rate 0.5 + a nonlinear function
of them (mean count ~2.5). MLP 12-64-1 with no output activation, PoissonNLLLoss(log_input=False),
Adam lr 1e-3, batch 64. The fix keeps the same network and uses the loss's default
log_input=True (the output is read as a log-rate). The metric is the R^2 of the predicted
rate exp(output) against the counts; the broken model's predictions are rated on exp(output) as
well.

Verified (verify.py): the training loss is NaN from the first step; the fixed loss trains.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/184030",
    "kind": "broken",
    "bug": "PoissonNLLLoss(log_input=False) on raw Linear outputs: log of negative rates is NaN",
    "expect": {"ND204": "warn", "ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, 2, generator=torch.Generator().manual_seed(4)) / 12**0.5
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    h = torch.tanh(2 * x @ w)
    rate = torch.exp(0.5 + 0.8 * h[:, 0] - 0.5 * h[:, 1] ** 2)
    return x, torch.poisson(rate, generator=g).unsqueeze(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.PoissonNLLLoss(log_input=False)


def fixed_loss():
    return nn.PoissonNLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def rate_r2(out: torch.Tensor, y: torch.Tensor) -> float:
    pred, y = torch.exp(out.reshape(-1)).double(), y.reshape(-1).double()
    sst = ((y - y.mean()) ** 2).sum().item()
    return 1.0 - ((y - pred) ** 2).sum().item() / sst


VERIFY = {
    "metric": rate_r2,
    "epochs": 5,
    "fix": {"build_loss": fixed_loss},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.1,
}
