"""Healthy: a multi-label image tagger with one logit per tag and BCEWithLogitsLoss (no sigmoid in the model).

Source: GitHub issue lopuhin/kaggle-imet-2019#3, "Sigmoid before BCEWithLogitsLoss"
(https://github.com/lopuhin/kaggle-imet-2019/issues/3), found with the `issues` search: asked
whether a sigmoid is needed before BCEWithLogitsLoss, the author answers "This loss expects
logits, so sigmoid must not be added here."

Setup: synthetic 3x32x32 "artwork" images carrying any subset of 6 visual tags (each tag adds a
coloured pattern), a small CNN (3 conv blocks, global average pool, Linear to 6 logits),
BCEWithLogitsLoss on float multi-hot targets [N, 6], Adam lr 1e-3, batch 32.

Why healthy: the iMet solution's pairing: raw logits into BCEWithLogitsLoss, multi-hot float
targets of the output's shape.

Verified (verify.py, VERIFIED.md): tag-level validation accuracy (logit > 0) well above the
all-negative baseline after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/lopuhin/kaggle-imet-2019/issues/3",
    "kind": "healthy",
    "bug": "healthy: multi-label CNN, 6 logits into BCEWithLogitsLoss with multi-hot targets",
    "expect": {},
    "consequences": [],
}


def _art(n: int, seed: int):
    patterns = nn.functional.interpolate(
        torch.rand(6, 3, 4, 4, generator=torch.Generator().manual_seed(71)) - 0.5, size=32, mode="nearest"
    )
    g = torch.Generator().manual_seed(seed)
    tags = (torch.rand(n, 6, generator=g) < 0.35).float()
    x = torch.einsum("nt,tchw->nchw", tags, patterns) + 0.3 * torch.randn(n, 3, 32, 32, generator=g)
    return x / 0.5, tags


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 6),
    )


def build_data():
    x, y = _art(1500, 1)
    xv, yv = _art(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "binary_accuracy", "epochs": 4, "min": 0.85}
