"""Broken: ``nn.Embedding(..., padding_idx=0)`` where id 0 is not padding but a real, informative
token. The row at padding_idx is initialized to zeros and never receives a gradient, so the
model can never learn what token 0 means.

Source: ibalazevic/TuckER issue #17 "Why set padding_idx=0 in nn.Embedding"
(https://github.com/ibalazevic/TuckER/issues/17), found with the `issues` search "nn.Embedding
padding_idx=0 but index 0 is a real word vocabulary embedding not updated": the relation
embedding was built with padding_idx=0 although relation 0 is a real relation, "this will lead
the gradient of the first entity and relation becoming zero"; the author: "This is a mistake and
should be fixed".

Reproduction: sequences of 24 token ids from a vocabulary of 40 (no padding at all: every
sequence is full length); the label says whether token 0 occurs more often than token 1 (both
are planted 0-6 times). Model: nn.Embedding(40, 16, padding_idx=0), sum over time, MLP 16-32-2,
Adam lr 3e-3, batch 64. Token 0's vector stays zero, so only token 1's count is visible. The fix
drops padding_idx (there is no padding in this data).

Verified (verify.py): the fixed embedding reaches a much higher accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ibalazevic/TuckER/issues/17",
    "kind": "broken",
    "bug": "nn.Embedding(padding_idx=0) while id 0 is a real, informative token: its vector is frozen at zero",
    "expect": {"ND302": "warn"},
    "consequences": ["ND402", "ND405"],
}

VOCAB, LENGTH = 40, 24


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(2, VOCAB, (n, LENGTH), generator=g)
    c0 = torch.randint(0, 7, (n,), generator=g)
    c1 = torch.randint(0, 7, (n,), generator=g)
    for i in range(n):
        pos = torch.randperm(LENGTH, generator=g)
        x[i, pos[: c0[i]]] = 0
        x[i, pos[c0[i] : c0[i] + c1[i]]] = 1
    keep = c0 != c1
    return x[keep], (c0 > c1).long()[keep]


class BagClassifier(nn.Module):
    def __init__(self, padding_idx: int | None = 0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 16, padding_idx=padding_idx)
        self.head = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(ids).sum(dim=1))


def build_model() -> nn.Module:
    return BagClassifier(padding_idx=0)


def fixed_model() -> nn.Module:
    return BagClassifier(padding_idx=None)


def build_data():
    x, y = _sequences(3000, 1)
    xv, yv = _sequences(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 6,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
