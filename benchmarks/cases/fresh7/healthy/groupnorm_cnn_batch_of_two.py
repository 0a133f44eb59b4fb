"""Healthy: a small CNN normalized with nn.GroupNorm (4 groups) instead of BatchNorm, trained at
batch size 2. GroupNorm computes its statistics per sample over channel groups and space, so it
does not depend on the batch at all: a batch of 2 (or 1) is fine, unlike BatchNorm, whose batch
statistics become noise at that size.

Source: EarthScan "GroupNorm Over BatchNorm: Normalising When Your Batch Size Is One"
(https://www.earthscan.io/insights/groupnorm-group-size-stability-batch-of-one), found with the
`pages` search "GroupNorm instead of BatchNorm small batch size 2 works independent of batch":
variable-size inputs forced a batch of one; switching BatchNorm to GroupNorm gave per-image
statistics that never depend on the batch dimension.

Setup: 12x12 single-channel images, 3 classes = horizontal, vertical or diagonal bar, plus noise;
Conv(1, 16, 3) + GroupNorm(4, 16) + ReLU, Conv(16, 32, 3, stride 2) + GroupNorm(4, 32) + ReLU,
global average pool, Linear(32, 3). CrossEntropyLoss, Adam lr 1e-3, batch 2 (600 training
images: 300 steps per epoch).

Why healthy: a normalization layer at batch size 2 looks like the BatchNorm small-batch problem,
but GroupNorm has no batch statistics and no train/eval difference.

Verified (verify.py): validation accuracy far above the 1/3 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://www.earthscan.io/insights/groupnorm-group-size-stability-batch-of-one",
    "kind": "healthy",
    "bug": "healthy: small CNN with GroupNorm(4 groups) trained at batch size 2, Adam",
    "expect": {},
    "consequences": [],
}

SIZE = 12


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    img = 0.6 * torch.randn(n, SIZE, SIZE, generator=g)
    offset = torch.randint(2, SIZE - 2, (n,), generator=g)
    idx = torch.arange(SIZE)
    for i in range(n):
        o = int(offset[i])
        if y[i] == 0:
            img[i, o, :] += 1.5
        elif y[i] == 1:
            img[i, :, o] += 1.5
        else:
            img[i, idx, idx] += 1.5
    return img.unsqueeze(1), y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.GroupNorm(4, 16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),
        nn.GroupNorm(4, 32),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 3),
    )


def build_data():
    x, y = _images(600, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=150)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 2, "min": 0.8}
