"""Broken: an attentional factorization machine calls F.dropout(attn_scores, p) without training=.

Source: GitHub issue rixwew/pytorch-fm#21, "F.dropout的问题" (the F.dropout problem)
(https://github.com/rixwew/pytorch-fm/issues/21), found with the `issues` search: "if you use
F.dropout you need training=self.training: change F.dropout(attn_scores, p=0.1) to
F.dropout(attn_scores, p=0.1, training=self.training) so that model.eval() disables dropout";
the maintainer fixed it in 8ac848d.

Bug: F.dropout defaults to training=True, so the attention weights over feature interactions are
randomly zeroed (and the rest scaled up) at evaluation time as well: click-through predictions
change from call to call.

Reproduction: click data over 6 categorical fields (vocabulary 20 each) whose label depends on a
few pairwise interactions, an AFM (field embeddings 8-d, pairwise products, attention MLP 8-16-1,
softmax over pairs, F.dropout on the attention scores with p=0.3, projection to a logit, plus a
linear term), BCEWithLogitsLoss, Adam lr 1e-2, batch 128.

Verified (verify.py, VERIFIED.md): two eval-mode passes over the same batch give different
predictions.
"""

import itertools

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/rixwew/pytorch-fm/issues/21",
    "kind": "broken",
    "bug": "F.dropout(attn_scores, p) without training=self.training: attention dropout in eval",
    "expect": {"ND106": "warn"},
    "consequences": ["ND401"],
}

FIELDS, VOCAB = 6, 20
PAIRS = list(itertools.combinations(range(FIELDS), 2))


class AFM(nn.Module):
    def __init__(self, fixed: bool) -> None:
        super().__init__()
        self.fixed = fixed
        self.embedding = nn.Embedding(FIELDS * VOCAB, 8)
        self.linear = nn.Embedding(FIELDS * VOCAB, 1)
        self.attention = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
        self.projection = nn.Linear(8, 1)
        self.register_buffer("offsets", torch.arange(FIELDS) * VOCAB)
        self.rows, self.cols = zip(*PAIRS, strict=True)

    def forward(self, fields):
        idx = fields + self.offsets
        e = self.embedding(idx)
        inner = e[:, list(self.rows)] * e[:, list(self.cols)]
        attn_scores = torch.softmax(self.attention(inner), dim=1)
        if self.fixed:
            attn_scores = nn.functional.dropout(attn_scores, p=0.3, training=self.training)
        else:
            attn_scores = nn.functional.dropout(attn_scores, p=0.3)  # BUG: training defaults to True
        afm = self.projection((attn_scores * inner).sum(1))
        return self.linear(idx).sum(1) + afm


def _clicks(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    fields = torch.randint(0, VOCAB, (n, FIELDS), generator=g)
    table = torch.randn(VOCAB, VOCAB, generator=torch.Generator().manual_seed(41))
    logit = table[fields[:, 0], fields[:, 1]] + table[fields[:, 2], fields[:, 3]] - 0.5
    return fields, (logit + 0.3 * torch.randn(n, generator=g) > 0).float()[:, None]


def build_model() -> nn.Module:
    return AFM(fixed=False)


def build_data():
    x, y = _clicks(8000, 1)
    xv, yv = _clicks(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1000)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def fixed_model() -> nn.Module:
    return AFM(fixed=True)


VERIFY = {"metric": "auc", "epochs": 4, "fix": {"build_model": fixed_model}, "claims": ["eval_nondeterministic"]}
