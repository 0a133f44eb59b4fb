"""Healthy: only the final Linear layer is zero-initialized (as in DiT's FinalLayer); hidden layers are random.

Source: GitHub issue facebookresearch/DiT#82, "Clarification on Zero Initialization in FinalLayer
of DiT Model" (https://github.com/facebookresearch/DiT/issues/82), found with the `issues`
search: `nn.init.constant_(self.final_layer.linear.weight, 0)` and the bias too; a commenter: "the
model can still learn well in my experiment".

Setup: a 32-128-128-10 GELU MLP with default (random) init for the hidden layers and the output
Linear's weight and bias set to zero, on 10-class Gaussian-cluster data; CrossEntropyLoss; Adam
lr 1e-3; batch 64.

Why healthy: zeroing only the last layer does not create symmetry: the hidden units differ, and
the output weights get non-zero gradients (hidden activations times the error) at the first
step. The initial loss is exactly ln(10), the "chance" value.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/facebookresearch/DiT/issues/82",
    "kind": "healthy",
    "bug": "healthy: zero-initialized output layer only (DiT FinalLayer style), random hidden layers",
    "expect": {},
    "consequences": [],
}


def _clusters(n: int, seed: int):
    centres = torch.randn(10, 32, generator=torch.Generator().manual_seed(14))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return centres[y] + 1.0 * torch.randn(n, 32, generator=g), y


def build_model() -> nn.Module:
    model = nn.Sequential(nn.Linear(32, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU(), nn.Linear(128, 10))
    nn.init.constant_(model[-1].weight, 0)
    nn.init.constant_(model[-1].bias, 0)
    return model


def build_data():
    x, y = _clusters(2000, 1)
    xv, yv = _clusters(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.8}
