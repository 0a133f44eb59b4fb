"""Healthy: a Siamese network trained with the (Hadsell et al.) contrastive loss on pairs: a
shared encoder embeds both inputs, the model returns their Euclidean distance, and the loss is
y * d^2 + (1 - y) * max(0, margin - d)^2 with y = 1 for a similar pair.

Source: "Contrastive Loss Siamese Network in PyTorch: A Comprehensive Guide"
(https://www.codegenes.net/blog/contrastive-loss-siamese-network-pytorch), found with the
`pages` search "siamese network contrastive loss margin pairs label 0 1 pytorch tutorial": a
SiameseNetwork with forward_once shared by both inputs and a ContrastiveLoss with margin.

Setup: 16-d samples around 40 class prototypes; pairs are same-class (y = 1) or different-class
(y = 0) half of the time; encoder MLP 16-64-16; the recipe's forward returns the distance [N]
and the float pair label; margin 2.0, Adam lr 1e-3, batch 128.

Why healthy: the output is a distance, not a class score or a regression of the label; the loss
is zero for far-apart dissimilar pairs by design.

Verified (verify.py): AUC of -distance for telling similar from dissimilar held-out pairs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://www.codegenes.net/blog/contrastive-loss-siamese-network-pytorch",
    "kind": "healthy",
    "bug": "healthy: Siamese encoder returning pair distances, contrastive (margin) loss with 0/1 pair labels",
    "expect": {},
    "consequences": [],
}


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    protos = torch.randn(40, 16, generator=torch.Generator().manual_seed(95))
    g = torch.Generator().manual_seed(seed)
    c1 = torch.randint(0, 40, (n,), generator=g)
    same = torch.rand(n, generator=g) < 0.5
    c2 = torch.where(same, c1, (c1 + torch.randint(1, 40, (n,), generator=g)) % 40)
    a = protos[c1] + 0.7 * torch.randn(n, 16, generator=g)
    b = protos[c2] + 0.7 * torch.randn(n, 16, generator=g)
    return a, b, same.float()


class Siamese(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (self.encoder(a) - self.encoder(b)).pow(2).sum(1).add(1e-9).sqrt()


class ContrastiveLoss(nn.Module):
    def __init__(self, margin: float = 2.0) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, d: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (y * d.pow(2) + (1 - y) * torch.clamp(self.margin - d, min=0).pow(2)).mean()


def pair_auc(d: torch.Tensor, y: torch.Tensor) -> float:
    s, t = -d.double(), y > 0.5
    ranks = torch.empty_like(s)
    ranks[s.argsort()] = torch.arange(1, len(s) + 1, dtype=torch.double)
    npos, nneg = int(t.sum()), int((~t).sum())
    return float((ranks[t].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def build_model() -> nn.Module:
    return Siamese()


def build_data():
    a, b, y = _pairs(6000, 1)
    av, bv, yv = _pairs(800, 2)
    train = DataLoader(TensorDataset(a, b, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(av, bv, yv), batch_size=400)


def forward(model, batch):
    a, b, y = batch
    return model(a, b), y


def build_loss():
    return ContrastiveLoss(margin=2.0)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": pair_auc, "epochs": 5, "min": 0.85}
