"""Broken: features and labels are shuffled with two different permutations before batching.

Source: GitHub issue udacity/sdc-issue-reports#1326, "T1 L7 P33 Quiz doesn't verify training set
and labels match" (https://github.com/udacity/sdc-issue-reports/issues/1326), found with the
`issues` search: "I noticed you can shuffle the features and labels separately (different shuffle
orders) and still pass the quiz"; the reviewer: "The best approach ... pass feature and label
sets into that array, then shuffle. This way they stay together."

Bug: np.random.shuffle(features); np.random.shuffle(labels) draws two independent permutations,
so after "shuffling" every image carries a random other image's label. The network can only
memorize noise: training accuracy creeps up, validation accuracy stays at chance.

Reproduction: traffic-sign-like 3x16x16 images of 8 classes, features and labels shuffled
separately (seeded numpy) before building the TensorDataset, a small CNN, CrossEntropyLoss, Adam
lr 1e-3, batch 64; the validation split is left intact.

Verified (verify.py, VERIFIED.md): validation accuracy stays near chance (1/8) while the same
pipeline shuffling features and labels together (the fix) classifies the signs.
"""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/udacity/sdc-issue-reports/issues/1326",
    "kind": "broken",
    "bug": "features and labels shuffled with independent permutations: every label belongs to another image",
    "expect": {"ND402": "warn", "ND405": "warn"},
    "consequences": ["ND404"],
}


def _signs(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(8, 3, 4, 4, generator=torch.Generator().manual_seed(61)), size=16, mode="nearest"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 8, (n,), generator=g)
    x = protos[y] + 0.4 * torch.randn(n, 3, 16, 16, generator=g)
    return ((x - 0.5) / 0.45).numpy(), y.numpy()


def _loaders(together: bool):
    x, y = _signs(2000, 1)
    rng = np.random.RandomState(0)
    if together:
        perm = rng.permutation(len(x))
        x, y = x[perm], y[perm]
    else:
        rng.shuffle(x)  # BUG: two independent permutations
        rng.shuffle(y)
    xv, yv = _signs(400, 2)
    train = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    return train, DataLoader(TensorDataset(torch.from_numpy(xv), torch.from_numpy(yv)), batch_size=400)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 8),
    )


def build_data():
    return _loaders(together=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(together=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.5,
}
