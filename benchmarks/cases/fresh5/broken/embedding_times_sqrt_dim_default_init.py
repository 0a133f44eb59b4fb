"""Broken: token embeddings multiplied by sqrt(d) (the Transformer paper's scaling) while the
nn.Embedding keeps PyTorch's default N(0, 1) init: the GRU receives inputs with std 16 and its
gates saturate from the first step.

Source: facebookresearch/fairseq issue #47 "loss increasing with larger input range"
(https://github.com/facebookresearch/fairseq/issues/47), found with the `issues` search
"embedding multiplied by sqrt(d_model) nn.Embedding initialized normal std 1 too large scale":
multiplying the embedding weights by sqrt(512) makes the loss rise to 1e2-1e3 from the start;
espnet#3454 notes the scaling is only right with an init of std 1/sqrt(dim).

Reproduction: 40-token vocabulary, sequences of 16, class = which of 3 marker tokens occurs most;
Embedding(40, 256) (default init) * 16, GRU(256, 64, batch_first), Linear(64, 3),
CrossEntropyLoss, Adam lr 1e-3, batch 64. The fix initializes the embedding with std 1/16
(so that the scaled embedding has unit scale).

Verified (verify.py): the fixed init reaches a higher validation accuracy.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/facebookresearch/fairseq/issues/47",
    "kind": "broken",
    "bug": "embedding output * sqrt(256) with default N(0, 1) embedding init: GRU inputs std 16, gates saturate",
    "expect": {"ND203": "warn", "ND101": "warn", "ND202": "warn"},
    "consequences": ["ND301", "ND402"],
}

VOCAB, LENGTH, DIM = 40, 16, 256


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, VOCAB, (n, LENGTH), generator=g)
    counts = torch.randint(0, 4, (n, 3), generator=g)
    for c in range(3):
        for k in range(3):
            pos = torch.randint(0, LENGTH, (n,), generator=g)
            put = counts[:, c] > k
            ids[put, pos[put]] = c
    y = torch.stack([(ids == c).sum(1) for c in range(3)], 1).float()
    y = (y + 0.1 * torch.arange(3)).argmax(1)
    return ids, y


class ScaledGRU(nn.Module):
    def __init__(self, small_init: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        if small_init:
            nn.init.normal_(self.embed.weight, std=DIM**-0.5)
        self.rnn = nn.GRU(DIM, 64, batch_first=True)
        self.head = nn.Linear(64, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(self.embed(ids) * math.sqrt(DIM))
        return self.head(h[-1])


def build_model() -> nn.Module:
    return ScaledGRU()


def fixed_model() -> nn.Module:
    return ScaledGRU(small_init=True)


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
