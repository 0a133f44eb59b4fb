"""Broken: a BatchNorm MLP's training set leaves a final batch of one sample each epoch.

Source: GitHub issue NRCan/geo-deep-learning#113, "For models with batch_norm, drop last batch if
it has only one item" (https://github.com/NRCan/geo-deep-learning/issues/113), found with the
`issues` search: "Models with batch norm cannot handle single-item batches during training.
Drop_last parameter in train Dataloader should be set to True", with the error "Expected more than
1 value per channel when training".

Bug: 2,017 training samples in batches of 32 leave 1 sample for the last batch. BatchNorm1d
cannot compute a variance from one value and raises ValueError in training mode, so every run
dies at the end of the first epoch (after the work of the whole epoch).

Reproduction: a 20-feature tabular classifier (4 classes), a 20-64-BN-ReLU-64-BN-ReLU-4 MLP,
CrossEntropyLoss, Adam lr 1e-3, DataLoader(batch_size=32, shuffle=True) without drop_last.

Verified (verify.py, VERIFIED.md): the plain loop crashes with "Expected more than 1 value per
channel when training" at the last batch of epoch 1; with drop_last=True (the fix) it trains.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/NRCan/geo-deep-learning/issues/113",
    "kind": "broken",
    "bug": "BatchNorm1d model with a training loader whose last batch holds a single sample (crash)",
    "expect": {"ND105": "warn"},
    "consequences": [],
}


def _table(n: int, seed: int):
    centres = torch.randn(4, 20, generator=torch.Generator().manual_seed(2))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    return centres[y] + 1.5 * torch.randn(n, 20, generator=g), y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(20, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 4),
    )


def _loaders(drop_last: bool):
    x, y = _table(2017, 1)
    xv, yv = _table(400, 2)
    train = DataLoader(
        TensorDataset(x, y),
        batch_size=32,
        shuffle=True,
        drop_last=drop_last,
        generator=torch.Generator().manual_seed(0),
    )
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_data():
    return _loaders(drop_last=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(drop_last=True)


VERIFY = {"metric": "accuracy", "epochs": 2, "fix": {"build_data": fixed_data}, "claims": ["crash"]}
