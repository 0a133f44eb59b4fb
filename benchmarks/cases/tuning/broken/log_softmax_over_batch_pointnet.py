"""Broken: a PointNet classifier returns F.log_softmax(x, dim=0), normalizing over the batch.

Source: GitHub issue fxia22/pointnet.pytorch#27, "Confusion about the usage of log_softmax
function" (https://github.com/fxia22/pointnet.pytorch/issues/27), found with the `issues` search:
"return F.log_softmax(x, dim=0), trans ... Dim0 means the dimension of batch. However, the
log_softmax should be applied along the channels." (fixed in the repository afterwards).

Bug: with dim=0 each column is normalized across the samples of the batch: every prediction
depends on the other samples in the batch, the values are not per-sample log-probabilities, and
NLLLoss optimizes "which sample of the batch is most likely of class c" instead of "which class is
this sample".

Reproduction: point clouds of 64 points from 4 shape classes (sphere shell, cube surface, disc,
line segment; random scale and noise), a PointNet classifier (shared Conv1d MLP 3-32-64, max
pool, MLP 64-32-4), log_softmax over dim 0, NLLLoss, Adam lr 1e-3, batch 32.

Validation classifies one cloud at a time, as a deployed model does: with dim=0 a batch of one
normalizes each class score against itself, every log-probability is 0 and the prediction is
always class 0, although accuracy measured on batches of 32 looks fine.

Verified (verify.py, VERIFIED.md): sample 0's output changes when the other samples of its batch
change, and one-at-a-time validation accuracy is near chance while the same net with log_softmax
over dim 1 (the fix) classifies the shapes.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/fxia22/pointnet.pytorch/issues/27",
    "kind": "broken",
    "bug": "F.log_softmax(x, dim=0) normalizes over the batch instead of the classes",
    "expect": {"ND304": "warn", "ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND405"],
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
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.feat = nn.Sequential(nn.Conv1d(3, 32, 1), nn.ReLU(), nn.Conv1d(32, 64, 1), nn.ReLU())
        self.fc = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, pts):
        x = self.fc(self.feat(pts).max(dim=2).values)
        return nn.functional.log_softmax(x, dim=self.dim)


def build_model() -> nn.Module:
    return PointNetCls(dim=0)


def build_data():
    x, y = _shapes(1024, 1)
    xv, yv = _shapes(256, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1)  # inference one cloud at a time


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return PointNetCls(dim=1)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.3,
}
