"""Broken: a DLRM-style click model (categorical embeddings + dense MLP) trained with Adagrad at
lr 1e-5, a thousand times below the 0.01 the DLRM authors used; the model barely moves.

Source: facebookresearch/dlrm issue #82 "Adagrad learning rate"
(https://github.com/facebookresearch/dlrm/issues/82), found with the `issues` search "Adagrad
learning rate too small loss barely changes": asked which Adagrad learning rate reproduces the
paper's convergence, the maintainer: "the Adagrad learning rate was 0.01". Adagrad divides each
step by the root of the accumulated squared gradients, so its per-parameter steps start at about
lr and only shrink; an lr carried over from a setting where 1e-5 made sense leaves the weights
where they started.

Bug: lr 1e-5 with Adagrad: every parameter moves by at most ~1e-5 per step (less later), so
over the run the embeddings and the MLP stay at their initialization.

Reproduction: three categorical fields (100, 50 and 20 values, embeddings of 8) and 4
standardized dense features; the click is drawn from a logistic model of per-value effects and a
dense term (about 35% positives); embeddings + dense into an MLP 28-64-32-1; BCEWithLogitsLoss;
Adagrad lr 1e-5; batch 128. DLRM's interaction layer is replaced by concatenation.

Verified (verify.py): after 4 epochs the validation AUC is where it started, far below the same
model with Adagrad lr 0.01 (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/facebookresearch/dlrm/issues/82",
    "kind": "broken",
    "bug": "DLRM-style embedding + MLP click model trained with Adagrad at lr 1e-5 (1000x below 0.01)",
    "expect": {"ND403": "warn"},
    "consequences": ["ND303", "ND402", "ND404"],
}

CARD = (100, 50, 20)


def _clicks(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gw = torch.Generator().manual_seed(8)
    effects = [torch.randn(c, generator=gw) for c in CARD]
    w = torch.randn(4, generator=gw)
    g = torch.Generator().manual_seed(seed)
    cats = torch.stack([torch.randint(0, c, (n,), generator=g) for c in CARD], 1)
    dense = torch.randn(n, 4, generator=g)
    logit = sum(e[cats[:, i]] for i, e in enumerate(effects)) + 0.5 * dense @ w - 1.0
    y = (torch.rand(n, generator=g) < torch.sigmoid(logit)).float()
    return torch.cat([cats.float(), dense], 1), y


class ClickModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList([nn.Embedding(c, 8) for c in CARD])
        self.mlp = nn.Sequential(nn.Linear(28, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cats = x[:, :3].long()
        parts = [emb(cats[:, i]) for i, emb in enumerate(self.embeddings)]
        return self.mlp(torch.cat([*parts, x[:, 3:]], 1)).squeeze(1)


def build_model() -> nn.Module:
    return ClickModel()


def build_data():
    x, y = _clicks(8000, 1)
    xv, yv = _clicks(2000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1000)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adagrad(params, lr=1e-5)


def fixed_optimizer(params):
    return torch.optim.Adagrad(params, lr=0.01)


VERIFY = {
    "metric": "auc",
    "epochs": 4,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
