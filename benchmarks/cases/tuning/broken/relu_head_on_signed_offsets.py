"""Broken: a detector's box-regression head ends in ReLU although the offsets can be negative.

Source: GitHub issue tsinghua-rll/VoxelNet-tensorflow#10, "RPN last layer"
(https://github.com/tsinghua-rll/VoxelNet-tensorflow/issues/10), found with the `issues` search:
"you use the relu layer for the last layer of RPN which predicts class score and regression ...
if you want to shrink your anchor, you must have some negative prediction in regression"; the
author fixed it (jeasinema/tf_voxelnet@a7a2729).

Bug: ReLU outputs are >= 0, but about half of the regression targets (anchor-relative offsets
dx, dy, dlog(w)) are negative. Those can never be reached: their error is stuck at >= target^2
and the units that should output them get zero gradient once they are pushed below zero.

Reproduction: anchor-offset regression from 16-d proposal features (offsets are standardized
linear-plus-tanh functions of the features, half of them negative), a 16-64-64-3 MLP whose last
layer is followed by nn.ReLU, MSELoss, Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): validation R^2 stays far below the same head without the
final ReLU (the fix), and the outputs never go negative.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/tsinghua-rll/VoxelNet-tensorflow/issues/10",
    "kind": "broken",
    "bug": "ReLU on the output of a regression head whose targets (box offsets) are half negative",
    "expect": {"ND108": "warn"},
    "consequences": ["ND201", "ND203", "ND402", "ND405"],
}


def _proposals(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    w = torch.randn(16, 3, generator=torch.Generator().manual_seed(44)) / 4
    y = x @ w + 0.5 * torch.tanh(x[:, :3] * x[:, 3:6])
    return x, (y - y.mean(0)) / y.std(0)


def _head(relu: bool) -> nn.Module:
    layers = [nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)]
    return nn.Sequential(*layers, *([nn.ReLU()] if relu else []))


def build_model() -> nn.Module:
    return _head(relu=True)


def build_data():
    x, y = _proposals(3000, 1)
    xv, yv = _proposals(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return _head(relu=False)


VERIFY = {"metric": "r2", "epochs": 5, "fix": {"build_model": fixed_model}, "claims": ["worse_than_fix"], "margin": 0.3}
