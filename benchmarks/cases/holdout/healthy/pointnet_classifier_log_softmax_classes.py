"""Healthy: the PointNet classifier after the fix: log_softmax over the class dimension with NLLLoss.

Source: GitHub issue fxia22/pointnet.pytorch#27, "Confusion about the usage of log_softmax
function" (https://github.com/fxia22/pointnet.pytorch/issues/27), found with the `issues` search:
"This issue is fixed in latest master branch": `F.log_softmax(x, dim=-1)`.

Setup: point clouds of 64 points from 4 shape classes (sphere shell, cube surface, disc, line
segment; random scale and noise), a PointNet classifier (shared Conv1d MLP 3-32-64, max pool over
points, MLP 64-32-4), log_softmax over dim 1, NLLLoss, Adam lr 1e-3, batch 32.

Why healthy: per-sample log-probabilities paired with NLLLoss; the max pool runs over the points
of one cloud, never across the batch.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/fxia22/pointnet.pytorch/issues/27",
    "kind": "healthy",
    "bug": "healthy: PointNet classifier, log_softmax over classes + NLLLoss (the fixed version)",
    "expect": {},
    "consequences": [],
}


def _shapes(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    p = torch.randn(n, 64, 3, generator=g)
    sphere = p / p.norm(dim=2, keepdim=True)
    cube = p.clamp(-1, 1)
    cube = cube / cube.abs().amax(dim=2, keepdim=True)
    disc = torch.cat([sphere[..., :2] * torch.rand(n, 64, 1, generator=g), torch.zeros(n, 64, 1)], 2)
    line = torch.cat([torch.rand(n, 64, 1, generator=g) * 2 - 1, torch.zeros(n, 64, 2)], 2)
    pts = torch.stack([sphere, cube, disc, line], 1)[torch.arange(n), y]
    pts = pts * (0.5 + torch.rand(n, 1, 1, generator=g)) + 0.05 * torch.randn(n, 64, 3, generator=g)
    return pts.transpose(1, 2).contiguous(), y


class PointNetCls(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.feat = nn.Sequential(nn.Conv1d(3, 32, 1), nn.ReLU(), nn.Conv1d(32, 64, 1), nn.ReLU())
        self.fc = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, pts):
        return nn.functional.log_softmax(self.fc(self.feat(pts).max(dim=2).values), dim=1)


def build_model() -> nn.Module:
    return PointNetCls()


def build_data():
    x, y = _shapes(1024, 1)
    xv, yv = _shapes(256, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=32)


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.8}
