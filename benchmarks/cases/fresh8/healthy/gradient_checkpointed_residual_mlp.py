"""Healthy: a residual MLP whose blocks run under activation (gradient) checkpointing,
``torch.utils.checkpoint.checkpoint(block, h, use_reentrant=False)`` while training: the
activations inside each block are not stored but recomputed during backward. The gradients are
the same as without checkpointing; only memory and compute change.

Source: PyTorch Forums "Gradient Checkpointing in Pytorch?"
(https://discuss.pytorch.org/t/gradient-checkpointing-in-pytorch/12977), found with the `pages`
search "torch.utils.checkpoint gradient checkpointing sequential model training memory": memory
is "one of the biggest restrictions", and checkpointing is the answer that landed as
torch.utils.checkpoint (pytorch/pytorch#4594).

Setup: 12 standardized features, a smooth nonlinear regression target (standardized); input
Linear 12-64, four pre-norm residual blocks (LayerNorm, Linear 64-128, GELU, Linear 128-64),
each checkpointed in training mode (plain call in eval), Linear 64-1 head. MSELoss, Adam lr 1e-3,
batch 64.

Why healthy: checkpointing changes how the graph is built (a block's forward runs twice, the
first time without saving tensors), which a tool hooking activations or counting forward calls
may misread; the training itself is ordinary.

Verified (verify.py): validation R^2 well above the start.
"""

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/gradient-checkpointing-in-pytorch/12977",
    "kind": "healthy",
    "bug": "healthy: pre-norm residual MLP with torch.utils.checkpoint on every block while training, Adam, MSE",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, 3, generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    z = x @ w
    y = torch.sin(z[:, 0]) + 0.5 * z[:, 1] * torch.tanh(z[:, 2]) + 0.1 * torch.randn(n, generator=g)
    return x, ((y - 0.0) / 1.2).unsqueeze(1)


class Block(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.net(h)


class CheckpointedMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(12, 64)
        self.blocks = nn.ModuleList(Block(64) for _ in range(4))
        self.head = nn.Linear(64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = checkpoint(block, h, use_reentrant=False) if self.training else block(h)
        return self.head(h)


def build_model() -> nn.Module:
    return CheckpointedMLP()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 5, "min": 0.8}
