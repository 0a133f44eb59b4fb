"""Broken: a neural-CF recommender ends in a sigmoid but is trained with MSE on 1..5 star ratings.

Source: recommenders-team/recommenders issue #796 "why ncf has no rating result?"
(https://github.com/recommenders-team/recommenders/issues/796), found with the `issues` search
"rating prediction sigmoid output ratings 1 to 5 MSE matrix factorization". The maintainer:
"The output of the model goes through a sigmoid layer, so the results are also between 0-1 ...
with input ratings in the range [1, 5] ... the rating metrics aren't applicable without scaling".

Bug: the sigmoid output lives in (0, 1) while every target is between 1 and 5; MSE pushes the
output to saturate at 1 and the model cannot represent any rating, let alone rank them.

Reproduction: synthetic ratings from a rank-4 user/item factor model plus noise, rounded and
clipped to 1..5; a small NCF (user and item embeddings of 8; their concatenation and
element-wise product into an MLP 24-32-16-1 with a final sigmoid), MSELoss, Adam lr 1e-2, batch 128.

Verified (verify.py): after 8 epochs the validation R^2 stays strongly negative while the same
model with a linear output (the fix) explains the ratings.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/recommenders-team/recommenders/issues/796",
    "kind": "broken",
    "bug": "NCF recommender with a sigmoid output trained with MSELoss on 1..5 star ratings",
    "expect": {"ND108": "warn"},
    "consequences": ["ND201", "ND402", "ND404", "ND405"],
}

USERS, ITEMS = 100, 80


def _ratings(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gf = torch.Generator().manual_seed(7)
    pu, qi = torch.randn(USERS, 4, generator=gf), torch.randn(ITEMS, 4, generator=gf)
    g = torch.Generator().manual_seed(seed)
    u = torch.randint(0, USERS, (n,), generator=g)
    i = torch.randint(0, ITEMS, (n,), generator=g)
    r = 3.0 + 0.6 * (pu[u] * qi[i]).sum(1) + 0.3 * torch.randn(n, generator=g)
    return torch.stack([u, i], 1), r.round().clamp(1, 5)


class NCF(nn.Module):
    def __init__(self, sigmoid: bool) -> None:
        super().__init__()
        self.user = nn.Embedding(USERS, 8)
        self.item = nn.Embedding(ITEMS, 8)
        self.mlp = nn.Sequential(nn.Linear(24, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))
        self.sigmoid = sigmoid

    def forward(self, ui: torch.Tensor) -> torch.Tensor:
        u, i = self.user(ui[:, 0]), self.item(ui[:, 1])
        out = self.mlp(torch.cat([u, i, u * i], 1)).squeeze(1)
        return torch.sigmoid(out) if self.sigmoid else out


def build_model() -> nn.Module:
    return NCF(sigmoid=True)


def build_data():
    x, y = _ratings(20000, 1)
    xv, yv = _ratings(3000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1000)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def fixed_model() -> nn.Module:
    return NCF(sigmoid=False)


VERIFY = {
    "metric": "r2",
    "epochs": 8,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.5,
}
