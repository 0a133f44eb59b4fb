"""Broken: a siamese metric-learning model computes distances with sqrt(sum of squares) on pairs that include identical items.

Source: GitHub issue lilanxiao/Rotated_IoU#20, "Function 'SqrtBackward' returned nan values in
its 0th output" (https://github.com/lilanxiao/Rotated_IoU/issues/20), found with the `issues`
search: "the backprop of `torch.sqrt()` would generate `nan` if the input is zero"; fixed by adding
1e-14 inside the sqrt (see also pytorch/pytorch#2421, "Gradient of zero norm is nan").

Bug: d = sqrt(((a - b)**2).sum()) has derivative 1/(2d), infinite at d = 0. Positive pairs that
are the same item (an image paired with itself, a duplicate in the data) give a = b exactly, so
backward produces inf * 0 = NaN; one such pair in a batch turns every weight into NaN.

Reproduction: 16-d items of 8 identities, pairs (same identity -> label 1, else 0) where 10% of
the positive pairs are an item with itself, a shared embedding MLP 16-32-8, a contrastive loss on
d = torch.sqrt(((e1 - e2) ** 2).sum(1)) with margin 1, Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): the weights become NaN in the first epoch (the loss turns
non-finite), while sqrt(... + 1e-8) (the fix) trains a working metric (pair-verification AUC).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/lilanxiao/Rotated_IoU/issues/20",
    "kind": "broken",
    "bug": "torch.sqrt of a squared distance that is exactly 0 for identical pairs: NaN gradient",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND403", "ND404"],
}


class Siamese(nn.Module):
    def __init__(self, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.embed = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))

    def forward(self, pairs):
        e1, e2 = self.embed(pairs[:, 0]), self.embed(pairs[:, 1])
        return torch.sqrt(((e1 - e2) ** 2).sum(1) + self.eps)  # distance


class Contrastive(nn.Module):
    def forward(self, d, same):
        return (same * d**2 + (1 - same) * torch.clamp(1.0 - d, min=0) ** 2).mean()


def _pairs(n: int, seed: int):
    centres = torch.randn(8, 16, generator=torch.Generator().manual_seed(33))
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 8, (n, 2), generator=g)
    same = torch.rand(n, generator=g) < 0.5
    ids[same, 1] = ids[same, 0]
    items = centres[ids] + 0.7 * torch.randn(n, 2, 16, generator=g)
    dup = same & (torch.rand(n, generator=g) < 0.1)
    items[dup, 1] = items[dup, 0]  # the item paired with itself
    return items, same.float()


def build_model() -> nn.Module:
    return Siamese(eps=0.0)


def build_data():
    x, y = _pairs(3000, 1)
    xv, yv = _pairs(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return Contrastive()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return Siamese(eps=1e-8)


def verification_auc(d: torch.Tensor, same: torch.Tensor) -> float:
    if not torch.isfinite(d).all():
        return float("nan")
    s, t = -d.double(), same > 0.5  # small distance = same identity
    ranks = torch.empty_like(s)
    ranks[s.argsort()] = torch.arange(1, len(s) + 1, dtype=torch.double)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    return (ranks[t].sum().item() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


VERIFY = {
    "metric": verification_auc,
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
