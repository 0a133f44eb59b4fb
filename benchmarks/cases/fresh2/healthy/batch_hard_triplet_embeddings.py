"""Healthy: metric learning with a batch-hard triplet loss on L2-normalized embeddings
(F.triplet_margin_loss on the hardest positive and hardest negative of each anchor in the batch).

Source: the torch.nn.TripletMarginLoss reference
(https://pytorch.org/docs/stable/generated/torch.nn.TripletMarginLoss.html) with the batch-hard
mining of TensorFlow Addons' TripletHardLoss (https://tensorflow.org/addons/api_docs/python/tfa/losses/TripletHardLoss:
"selects the hardest positive and the hardest negative samples within the batch ... embeddings
y_pred must be 2-D float Tensor of l2 normalized embedding vectors"), both found with the `docs`
search "TripletMarginLoss anchor positive negative margin embedding".

Setup: 32 standardized features of 8 identities (Gaussian clusters with a nonlinear warp); an MLP
32-128-64-16 whose output is L2-normalized; the loss takes the embeddings [B, 16] and the
identity labels [B] and averages F.triplet_margin_loss(anchor, hardest positive, hardest
negative, margin 0.2) over the anchors that have a positive in the batch; Adam lr 1e-3; batch 64
(shuffled: about 8 samples per identity in every batch). The metric is the 1-nearest-neighbour
identity accuracy within the validation embeddings (leave-one-out).

Why healthy: normalized embeddings with a margin that fits the unit sphere, hardest-pair mining
within batches large enough to hold positives, a standard optimizer; the output is an
embedding, not class scores, and the integer targets are identities for the loss's mining.

Verified (verify.py): the 1-NN validation accuracy rises well above chance (1/8) in 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.TripletMarginLoss.html",
    "kind": "healthy",
    "bug": "healthy: MLP embedding net (L2-normalized) trained with a batch-hard triplet margin loss on identity labels",
    "expect": {},
    "consequences": [],
}

IDS = 8


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gc = torch.Generator().manual_seed(31)
    centres = 1.2 * torch.randn(IDS, 32, generator=gc)
    mix = torch.randn(32, 32, generator=gc) / 32**0.5
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, IDS, (n,), generator=g)
    z = centres[y] + torch.randn(n, 32, generator=g)
    x = torch.tanh(z @ mix) + 0.3 * z
    return (x - x.mean(0)) / x.std(0), y


class EmbeddingNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.net(x), dim=1)


class BatchHardTripletLoss(nn.Module):
    def __init__(self, margin: float = 0.2) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        dist = torch.cdist(emb, emb)
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(labels), dtype=torch.bool)
        pos_d = dist.masked_fill(~same | eye, -1.0)
        neg_d = dist.masked_fill(same, float("inf"))
        has_pos = (same & ~eye).any(1)
        pos = emb[pos_d.argmax(1)]
        neg = emb[neg_d.argmin(1)]
        losses = nn.functional.triplet_margin_loss(emb, pos, neg, margin=self.margin, reduction="none")
        return losses[has_pos].mean()


def nn1_accuracy(emb: torch.Tensor, labels: torch.Tensor) -> float:
    dist = torch.cdist(emb, emb)
    dist.fill_diagonal_(float("inf"))
    return (labels[dist.argmin(1)] == labels).float().mean().item()


def build_model() -> nn.Module:
    return EmbeddingNet()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return BatchHardTripletLoss(margin=0.2)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": nn1_accuracy, "epochs": 5, "min": 0.7}
