"""Broken: a price regressor gets a categorical zip code as its raw 5-digit number (10^4..10^5)
next to a standardized feature, instead of an embedding (or one-hot) of the zip.

Source: Data Science Stack Exchange "How to deal with categorical feature of very high
cardinality?" (https://datascience.stackexchange.com/questions/10509/how-to-deal-with-categorical-feature-of-very-high-cardinality),
found with the `pages` search "categorical feature zip code fed as numeric value neural network
should use embedding": one feature "is the zip codes of a country ... How can convert this feature
into numerical?"; the answers: one-hot or a learned embedding, not the code itself.

Bug: the zip column's scale (about 5 x 10^4, std about 2.6 x 10^4) dwarfs the other input by four
orders of magnitude, and as a number it imposes an order that has nothing to do with the price:
the per-zip effects can only be fitted as a jagged function of a huge input.

Reproduction: 40 zip codes drawn from 10000..99999, each with its own price effect N(0, 1); a
standardized living-area feature with effect 0.5; target = effect + 0.5 x area + noise 0.3
(standardized units); MLP 2-64-64-1 on [zip, area]; MSELoss; Adam lr 1e-3; batch 64. The fix
feeds the zip's index to nn.Embedding(40, 8) beside the area (fixed_data + fixed_model).

Verified (verify.py): after 6 epochs the broken regressor's validation R^2 is far below the
embedding model's.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://datascience.stackexchange.com/questions/10509/how-to-deal-with-categorical-feature-of-very-high-cardinality",
    "kind": "broken",
    "bug": "categorical zip code fed to an MLP as its raw 5-digit number beside a standardized feature",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND303", "ND402", "ND404", "ND405"],
}

ZIPS = 40


def _rows(n: int, seed: int, as_index: bool) -> tuple[torch.Tensor, torch.Tensor]:
    gz = torch.Generator().manual_seed(21)
    codes = torch.randint(10000, 100000, (ZIPS,), generator=gz).float()
    effect = torch.randn(ZIPS, generator=gz)
    g = torch.Generator().manual_seed(seed)
    z = torch.randint(0, ZIPS, (n,), generator=g)
    area = torch.randn(n, generator=g)
    y = effect[z] + 0.5 * area + 0.3 * torch.randn(n, generator=g)
    first = z.float() if as_index else codes[z]
    return torch.stack([first, area], 1), y[:, None]


def _loaders(as_index: bool):
    x, y = _rows(3000, 1, as_index)
    xv, yv = _rows(600, 2, as_index)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _loaders(as_index=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


class ZipEmbeddingRegressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.zip = nn.Embedding(ZIPS, 8)
        self.mlp = nn.Sequential(nn.Linear(9, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([self.zip(x[:, 0].long()), x[:, 1:]], 1))


def fixed_model() -> nn.Module:
    return ZipEmbeddingRegressor()


def fixed_data():
    return _loaders(as_index=True)


VERIFY = {
    "metric": "r2",
    "epochs": 6,
    "fix": {"build_model": fixed_model, "build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
