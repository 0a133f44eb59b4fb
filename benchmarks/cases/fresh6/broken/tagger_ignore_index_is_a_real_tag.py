"""Broken: a token tagger whose CrossEntropyLoss uses ignore_index=0 (meant for padding), while tag
0 is a real and the most frequent tag ("O", outside any entity). Every token labelled 0 is
dropped from the loss, so the model is never told to predict it and tags those tokens with some
other class.

Source: nyu-mll/jiant issue #925 "Tagger ignoring 0 class for cross_entropy"
(https://github.com/nyu-mll/jiant/issues/925), found with the `issues` search "CrossEntropyLoss
ignore_index=0 but class 0 is a valid label never predicted": "we put ignore_index as pad_index.
... I have 0 as a target class for the tagger, and this has led to some wonky runs because the
cross_entropy ignores all 0 class in the target" (labelled bug).

Reproduction: sentences of 16 tokens (vocabulary 60, no padding); 5 tags, tag = a function of the
token and its left neighbour, with tag 0 for about 60% of the tokens. Embedding(60, 32) -
bidirectional GRU(32, 32) - Linear(64, 5), logits permuted to [N, 5, T];
CrossEntropyLoss(ignore_index=0), Adam lr 3e-3, batch 64. The fix uses the default ignore_index
(-100; there is no padding to ignore). The metric is token accuracy over all tags.

Verified (verify.py): the fixed loss tags far more tokens correctly.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/nyu-mll/jiant/issues/925",
    "kind": "broken",
    "bug": "CrossEntropyLoss(ignore_index=0) in a tagger where tag 0 ('O', 60% of tokens) is a real class",
    "expect": {"ND103": "warn", "ND102": "warn"},
    "consequences": ["ND402"],
}

VOCAB, LENGTH = 60, 16


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    left = torch.cat([torch.zeros(n, 1, dtype=torch.long), ids[:, :-1]], 1)
    entity = ids < 24
    tags = torch.where(entity, 1 + (ids + (left % 2) * 2) % 4, torch.zeros_like(ids))
    return ids, tags


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 32)
        self.gru = nn.GRU(32, 32, batch_first=True, bidirectional=True)
        self.out = nn.Linear(64, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.emb(ids))
        return self.out(h).permute(0, 2, 1)


def build_model() -> nn.Module:
    return Tagger()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss(ignore_index=0)


def fixed_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
