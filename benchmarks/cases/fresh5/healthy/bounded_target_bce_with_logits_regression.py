"""Healthy: a regression onto a bounded target in [0, 1] (a fraction) trained with
BCEWithLogitsLoss on soft (non-binary) targets: the logit's sigmoid is the prediction.

Source: Cross Validated "Neural networks bounded output"
(https://stats.stackexchange.com/questions/233499/neural-networks-bounded-output), found with the
`pages` search "tanh output layer regression standardized targets cannot predict values outside
-1 1": "A trick for bounded output range is to scale the target values between (0,1) and use
sigmoid output + binary cross-entropy loss"; the gradient wrt the logit is sigma(a) - t', as for
MSE with a linear output.

Setup: 12 standardized features; target = sigmoid(smooth function) + small noise, clipped to
[0, 1] (continuous, rarely exactly 0 or 1); MLP 12-64-64-1 returning the logit; BCEWithLogitsLoss
with the continuous target; Adam lr 1e-3, batch 64.

Why healthy: BCE with soft targets is a proper loss for a Bernoulli mean; its minimum is the
target's entropy (not zero), reached when sigmoid(logit) equals the target.

Verified (verify.py): R^2 of sigmoid(logit) against the target on held-out data.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://stats.stackexchange.com/questions/233499/neural-networks-bounded-output",
    "kind": "healthy",
    "bug": "healthy: target in [0, 1] regressed with BCEWithLogitsLoss on soft targets (sigmoid of the logit)",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, generator=torch.Generator().manual_seed(70)) / 2
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    y = torch.sigmoid(x @ w + torch.sin(2 * x[:, 0])) + 0.03 * torch.randn(n, generator=g)
    return x, y.clamp(0, 1).unsqueeze(1)


def sigmoid_r2(out: torch.Tensor, y: torch.Tensor) -> float:
    p, y = torch.sigmoid(out).reshape(-1).double(), y.reshape(-1).double()
    return 1.0 - ((y - p) ** 2).sum().item() / ((y - y.mean()) ** 2).sum().item()


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": sigmoid_r2, "epochs": 6, "min": 0.8}
