"""Broken: an autoencoder on StandardScaler-scaled features ends in a sigmoid output layer.

Source: yzhao062/pyod issue #314 "autoencoder StandardScaler and sigmoid as output layer /
inconsistency in values size" (https://github.com/yzhao062/pyod/issues/314), found with the
`issues` search "autoencoder sigmoid output layer but input data normalized with negative
values". The reporter: the output layer "has the sigmoid activation function whose values are
within 0 and 1, but the input data are scaled with StandardScaler"; the maintainer agreed.

Bug: the reconstruction target is the standardized input itself (about half of it negative,
some above 1), which a sigmoid cannot reach: the best it can do is clip every feature to (0, 1),
so the reconstruction error stays high whatever the model learns.

Reproduction: synthetic 20-feature tabular data with 4 latent factors, standardized; the
reporter's kind of dense autoencoder (20-16-4-16-20, ReLU, sigmoid output), MSELoss, Adam lr
1e-3, batch 64; the loaders yield (x, x).

Verified (verify.py): after 5 epochs the validation R^2 of the reconstruction stays far below
the same autoencoder with a linear output (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/yzhao062/pyod/issues/314",
    "kind": "broken",
    "bug": "dense autoencoder with a sigmoid output reconstructing standardized (zero-mean, unit-std) features",
    "expect": {"ND108": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}


def _features(n: int, seed: int) -> torch.Tensor:
    mix = torch.randn(4, 20, generator=torch.Generator().manual_seed(9))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g) @ mix + 0.1 * torch.randn(n, 20, generator=g)
    return (x - x.mean(0)) / x.std(0)


class AutoEncoder(nn.Module):
    def __init__(self, sigmoid: bool) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 20), *([nn.Sigmoid()] if sigmoid else [])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def build_model() -> nn.Module:
    return AutoEncoder(sigmoid=True)


def build_data():
    x, xv = _features(4000, 1), _features(800, 2)
    train = DataLoader(TensorDataset(x, x), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return AutoEncoder(sigmoid=False)


VERIFY = {
    "metric": "r2",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
