"""Broken: nn.CosineEmbeddingLoss with pair labels coded 1 (same) / 0 (different). The loss only
knows y = 1 (pull together: 1 - cos) and y = -1 (push apart: max(0, cos - margin)); a 0 label
selects neither branch and contributes exactly zero. The dissimilar pairs never produce a
gradient, so the encoder is only ever told to make embeddings similar.

Source: pytorch/pytorch issue #8316 "Cosine Embedding Loss"
(https://github.com/pytorch/pytorch/issues/8316), found with the `issues` search
"CosineEmbeddingLoss target 0 instead of -1 dissimilar pairs": the discussion of how the loss
treats its target; "y is supposed to be 1 or -1 to indicate whether the two vectors are supposed
to be similar or not", and the maintainer's example builds y with bernoulli * 2 - 1.

Reproduction: 8 prototype classes in 16 dimensions, noisy samples; a pair (a, b) is "same" when
both come from one class (half of the pairs). A shared encoder MLP 16-64-32 embeds both; the
model returns the pair's embeddings stacked as [N, 2, 32] and the loss is
CosineEmbeddingLoss(margin=0.2) on them with the 0/1 labels. Adam lr 1e-3, batch 64. The fix
maps the labels to -1/+1 (2y - 1). The metric is the ROC AUC of the pair's cosine similarity
against the "same" label.

Verified (verify.py): the fixed labels separate same and different pairs much better.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/8316",
    "kind": "broken",
    "bug": "CosineEmbeddingLoss with 0/1 pair labels (expects -1/+1): dissimilar pairs contribute no loss",
    "expect": {"ND102": "warn", "ND103": "warn"},
    "consequences": ["ND402", "ND405"],
}


def _rows(n: int, seed: int, signed: bool) -> tuple[torch.Tensor, torch.Tensor]:
    protos = torch.randn(8, 16, generator=torch.Generator().manual_seed(9))
    g = torch.Generator().manual_seed(seed)
    ca = torch.randint(0, 8, (n,), generator=g)
    same = torch.rand(n, generator=g) < 0.5
    cb = torch.where(same, ca, (ca + torch.randint(1, 8, (n,), generator=g)) % 8)
    a = protos[ca] + 1.2 * torch.randn(n, 16, generator=g)
    b = protos[cb] + 1.2 * torch.randn(n, 16, generator=g)
    y = same.float()
    return torch.stack([a, b], 1), (2 * y - 1 if signed else y)


class PairEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.enc(pairs[:, 0]), self.enc(pairs[:, 1])], 1)


class PairCosineLoss(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.loss = nn.CosineEmbeddingLoss(margin=0.2)

    def forward(self, emb: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.loss(emb[:, 0], emb[:, 1], y)


def _loaders(signed: bool):
    x, y = _rows(4000, 1, signed)
    xv, yv = _rows(800, 2, signed)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_model() -> nn.Module:
    return PairEncoder()


def build_data():
    return _loaders(signed=False)


def fixed_data():
    return _loaders(signed=True)


def build_loss():
    return PairCosineLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def pair_auc(emb: torch.Tensor, y: torch.Tensor) -> float:
    s = torch.cosine_similarity(emb[:, 0], emb[:, 1], dim=1).double()
    t = y.reshape(-1) > 0.5
    ranks = torch.empty_like(s)
    ranks[s.argsort()] = torch.arange(1, len(s) + 1, dtype=torch.double)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    return (ranks[t].sum().item() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


VERIFY = {
    "metric": pair_auc,
    "epochs": 5,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.05,
}
