"""Broken: a hand-written binary cross-entropy, -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))),
turns NaN once a confident logit rounds sigmoid(z) to exactly 1.

Source: kuangliu/pytorch-retinanet issue #17 "alternative loss is numerically not stable"
(https://github.com/kuangliu/pytorch-retinanet/issues/17), found with the `issues` search
"custom binary cross entropy torch.log(sigmoid) loss becomes inf nan": "pt.log() would be -inf
when pt value is going to zero. pt value is sigmoid encoding value"; the suggested fix is the
log-sum-exp form PyTorch's own BCE-with-logits uses.

Bug: in float32 sigmoid(z) == 1.0 for z > ~17, so log(1 - sigmoid(z)) = -inf and the (1 - y) = 0
factor of a positive sample makes 0 * -inf = NaN; the NaN gradient then poisons every weight.

Reproduction: 20 standardized features, a linearly separable binary label, MLP 20-64-64-1, the
loss above as an nn.Module on float targets, Adam lr 1e-2, batch 64. The original is a focal-loss
variant of the same expression.

Verified (verify.py): the training loss becomes NaN within the budget, while nn.BCEWithLogitsLoss
(the fix) on the same model and data trains to high accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/kuangliu/pytorch-retinanet/issues/17",
    "kind": "broken",
    "bug": "hand-written BCE with torch.log(torch.sigmoid(z)) goes NaN once sigmoid saturates to 1.0",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    return x, (x @ w > 0).float()


class NaiveBCE(nn.Module):
    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(logits)
        return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def build_model() -> nn.Module:
    return MLP()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return NaiveBCE()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def fixed_loss():
    return nn.BCEWithLogitsLoss()


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 8,
    "fix": {"build_loss": fixed_loss},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
