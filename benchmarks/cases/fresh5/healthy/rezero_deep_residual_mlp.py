"""Healthy: a 24-block ReZero residual MLP: every block is x + alpha * F(x) with a learnable
scalar alpha initialized to 0, so the network is the identity at init and the branch weights
get no gradient until alpha moves.

Source: majumderb/rezero issue #16 "resweight is almost 0"
(https://github.com/majumderb/rezero/issues/16), found with the `issues` search "ReZero residual
weight initialized to zero alpha deep network training": a 32-layer ReZero transformer whose
resweights (alpha) start at 0 and grow to ~0.1-0.4 during training; the scheme (Bachlechner et
al. 2020) is meant for fast convergence at large depth.

Setup: 32 standardized features, 4 classes from a nonlinear rule; Linear(32, 64), 24 blocks
(Linear 64-64, ReLU, Linear 64-64, scaled by alpha = 0 at init), Linear(64, 4); CrossEntropyLoss,
Adam lr 1e-3, batch 64.

Why healthy: zero branch gradients at init are by design (alpha gets a gradient in the first
step and the branches follow); the depth is harmless behind identity skips.

Verified (verify.py): validation accuracy far above chance (1/4).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/majumderb/rezero/issues/16",
    "kind": "healthy",
    "bug": "healthy: 24-block ReZero residual MLP, residual scales alpha initialized to 0, Adam",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(32, 4, generator=torch.Generator().manual_seed(8))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 32, generator=g)
    return x, (torch.tanh(x @ w) + 0.3 * x[:, :4]).argmax(1)


class ReZeroBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.branch = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64))
        self.alpha = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.alpha * self.branch(x)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(32, 64), *[ReZeroBlock() for _ in range(24)], nn.Linear(64, 4))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.7}
