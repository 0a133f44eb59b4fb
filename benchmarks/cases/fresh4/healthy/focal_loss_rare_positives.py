"""Healthy: binary focal loss (gamma 2, alpha 0.25) built on BCE-with-logits for a detector-like
problem with 5% positives.

Source: open-mmlab/mmsegmentation issue #296 "Focal Loss Implementation"
(https://github.com/open-mmlab/mmsegmentation/issues/296), found with the `issues` search "focal
loss binary imbalanced alpha gamma implementation pytorch sigmoid_focal_loss": the RetinaNet
definition written as `BCE_loss = F.binary_cross_entropy_with_logits(x, label, reduction='none');
pt = torch.exp(-BCE_loss); fl = alpha * (1 - pt) ** gamma * BCE_loss`.

Setup: 16 standardized features, positives (5%) defined by a nonlinear rule on a few features,
MLP 16-64-64-1 returning one logit, focal loss averaged over samples, Adam lr 1e-3, batch 128.
The output bias starts at -log((1 - 0.05) / 0.05), the prior initialization of the RetinaNet
paper. Metric: AUC.

Why healthy: the loss is far below a plain BCE's (easy negatives are down-weighted by (1-pt)^2,
and alpha 0.25 scales the positives), so its absolute value says little; the logit output and
float 0/1 targets match BCE-with-logits.

Verified (verify.py): validation AUC well above 0.5.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/open-mmlab/mmsegmentation/issues/296",
    "kind": "healthy",
    "bug": "healthy: binary focal loss (gamma 2, alpha 0.25) on logits, 5% positives, prior-initialized bias",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, generator=torch.Generator().manual_seed(47))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    score = x @ w / 4 + x[:, 0] * x[:, 1]
    return x, (score > torch.quantile(score, 0.95)).float()


class FocalLoss(nn.Module):
    def __init__(self, alpha: float = 0.25, gamma: float = 2.0) -> None:
        super().__init__()
        self.alpha, self.gamma = alpha, gamma

    def forward(self, logit: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        bce = nn.functional.binary_cross_entropy_with_logits(logit, target, reduction="none")
        pt = torch.exp(-bce)
        weight = self.alpha * target + (1 - self.alpha) * (1 - target)
        return (weight * (1 - pt) ** self.gamma * bce).mean()


class Detector(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
        nn.init.constant_(self.net[-1].bias, -math.log(0.95 / 0.05))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def build_model() -> nn.Module:
    return Detector()


def build_data():
    x, y = _rows(6000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return FocalLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "auc", "epochs": 6, "min": 0.85}
