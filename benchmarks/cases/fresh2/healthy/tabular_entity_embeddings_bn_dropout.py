"""Healthy: a fastai-style tabular model: an embedding per categorical column, BatchNorm on the
continuous columns, then Linear-ReLU-BatchNorm-Dropout blocks; CrossEntropyLoss, Adam.

Source: fastai's TabularModel documentation
(https://raw.githubusercontent.com/fastai/fastai1/master/docs_src/tabular.models.ipynb), found with
the `docs` search "fastai tabular learner embeddings categorical continuous BatchNorm layers": "The
model consists of Embedding layers for the categorical variables, followed by a Dropout of
emb_drop, and a BatchNorm for the continuous variables. The results are concatenated and followed
by blocks of BatchNorm, Dropout, Linear and ReLU".

Setup: an income-like binary label from four categorical columns (9, 16, 7 and 15 levels, e.g.
work class, education, marital status, occupation) and three continuous columns on raw scales
(age ~ 20..70, hours ~ 40 +- 12, a log capital gain), the continuous ones normalized by a
BatchNorm1d at the input as fastai does; embeddings of min(50, (levels + 1) // 2); layers 200-100,
dropout 0.1 and embedding dropout 0.05; CrossEntropyLoss on 2 logits; Adam lr 1e-3; batch 64.

Why healthy: every categorical column goes through its own embedding, the continuous columns are
normalized by BatchNorm at the input (so their raw scale is handled inside the model), logits into
CrossEntropyLoss, batches of 64 for BatchNorm.

Verified (verify.py): validation accuracy well above the majority share after 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://raw.githubusercontent.com/fastai/fastai1/master/docs_src/tabular.models.ipynb",
    "kind": "healthy",
    "bug": "healthy: fastai-style tabular model (embeddings + BatchNorm on continuous inputs, BN/dropout blocks), Adam",
    "expect": {},
    "consequences": [],
}

CARD = (9, 16, 7, 15)


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gw = torch.Generator().manual_seed(13)
    effects = [torch.randn(c, generator=gw) for c in CARD]
    g = torch.Generator().manual_seed(seed)
    cats = torch.stack([torch.randint(0, c, (n,), generator=g) for c in CARD], 1)
    age = 20 + 50 * torch.rand(n, generator=g)
    hours = 40 + 12 * torch.randn(n, generator=g)
    gain = torch.log1p(torch.relu(2000 * torch.randn(n, generator=g)))
    cont = torch.stack([age, hours, gain], 1)
    score = sum(e[cats[:, i]] for i, e in enumerate(effects)) + (age - 45) / 12 + (hours - 40) / 15 + 0.2 * gain
    y = (score + 0.5 * torch.randn(n, generator=g) > 1.0).long()
    return cats, cont, y


class TabularModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        sizes = [min(50, (c + 1) // 2) for c in CARD]
        self.embeds = nn.ModuleList([nn.Embedding(c, s) for c, s in zip(CARD, sizes, strict=True)])
        self.emb_drop = nn.Dropout(0.05)
        self.bn_cont = nn.BatchNorm1d(3)
        self.layers = nn.Sequential(
            nn.Linear(sum(sizes) + 3, 200), nn.ReLU(), nn.BatchNorm1d(200), nn.Dropout(0.1),
            nn.Linear(200, 100), nn.ReLU(), nn.BatchNorm1d(100), nn.Dropout(0.1),
            nn.Linear(100, 2),
        )  # fmt: skip

    def forward(self, cats: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
        emb = torch.cat([e(cats[:, i]) for i, e in enumerate(self.embeds)], 1)
        return self.layers(torch.cat([self.emb_drop(emb), self.bn_cont(cont)], 1))


def build_model() -> nn.Module:
    return TabularModel()


def build_data():
    c, x, y = _rows(6000, 1)
    cv, xv, yv = _rows(1200, 2)
    train = DataLoader(TensorDataset(c, x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(cv, xv, yv), batch_size=600)


def forward(model, batch):
    cats, cont, y = batch
    return model(cats, cont), y


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.8}
