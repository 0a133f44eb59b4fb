"""Broken: a PointNet-style part segmenter feeds raw per-point scores to F.nll_loss.

Source: GitHub issue yanx27/Pointnet_Pointnet2_pytorch#30, "wrong label loss in PointNetLoss"
(https://github.com/yanx27/Pointnet_Pointnet2_pytorch/issues/30), found with the `issues` search:
"`nll_loss` is used but the input `labels_pred` from here is not a `log_softmax`, causing a
negative `label loss` value."

Bug: nll_loss(z, y) = -z_y. On unnormalized scores nothing bounds it: the optimizer can lower the
loss forever by inflating the target-class score (and every score along with it) instead of
separating the classes, so the loss runs off to large negative values and the per-point
predictions stay poor.

Reproduction: point clouds of 64 points in the unit cube whose label (4 parts) is the octant
group of the point, a shared per-point MLP (Conv1d 1x1: 3-64-64) with a max-pooled global feature
concatenated back (PointNet segmentation head) and Conv1d to 4 scores, F.nll_loss, Adam lr 1e-3,
batch 16.

Verified (verify.py, VERIFIED.md): the training loss goes negative and per-point validation
accuracy ends well below the same net with log_softmax over the class dimension (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/yanx27/Pointnet_Pointnet2_pytorch/issues/30",
    "kind": "broken",
    "bug": "raw scores (no log_softmax) fed to F.nll_loss: unbounded negative loss",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}


def _clouds(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    pts = torch.rand(n, 3, 64, generator=g) * 2 - 1
    labels = (pts[:, 0] > 0).long() * 2 + (pts[:, 1] * pts[:, 2] > 0).long()
    return pts, labels


class PointSeg(nn.Module):
    def __init__(self, log: bool) -> None:
        super().__init__()
        self.log = log
        self.local = nn.Sequential(nn.Conv1d(3, 64, 1), nn.ReLU(), nn.Conv1d(64, 64, 1), nn.ReLU())
        self.head = nn.Sequential(nn.Conv1d(128, 64, 1), nn.ReLU(), nn.Conv1d(64, 4, 1))

    def forward(self, pts):
        f = self.local(pts)
        g = f.max(dim=2, keepdim=True).values.expand_as(f)
        scores = self.head(torch.cat([f, g], dim=1))
        return torch.log_softmax(scores, dim=1) if self.log else scores


def build_model() -> nn.Module:
    return PointSeg(log=False)


def build_data():
    x, y = _clouds(256, 1)
    xv, yv = _clouds(64, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=64)


class NLL(nn.Module):
    def forward(self, scores, target):
        return nn.functional.nll_loss(scores, target)


def build_loss():
    return NLL()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return PointSeg(log=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["negative_loss", "worse_than_fix"],
    "margin": 0.15,
}
