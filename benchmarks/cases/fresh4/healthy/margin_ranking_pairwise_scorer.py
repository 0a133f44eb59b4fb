"""Healthy: a pairwise learning-to-rank scorer: one MLP scores both items of a pair and
nn.MarginRankingLoss(margin=0.5) asks the preferred item's score to exceed the other's by the
margin (target +1 or -1).

Source: the MarginRankingLoss reference of torch.js, a port of torch.nn
(https://torchjs.org/docs/torch.js/generated/torch.nn.MarginRankingLoss), found with the `pages`
search "MarginRankingLoss pairwise ranking learning to rank pytorch example": "For each sample in
the batch, computes: loss = max(0, -target * (input1 - input2) + margin). Target is 1 if input1
should be ranked higher, -1 if input2 should rank higher", with information retrieval and
recommendation as the uses; torch.nn.MarginRankingLoss has the same definition.

Setup: items with 10 standardized features and a hidden relevance (a nonlinear function of
them); pairs of items with the target sign(relevance1 - relevance2). Scorer MLP 10-64-64-1; the
recipe's forward scores both items and returns the [B, 2] scores with the [B] targets of +-1;
Adam lr 1e-3, batch 64. Metric: share of held-out pairs ordered correctly.

Why healthy: the output is an unbounded score, not a probability; targets of -1/+1 are a pair
order, not classes; the hinge loss reaches zero on pairs ordered with enough margin.

Verified (verify.py): most held-out pairs are ordered correctly.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://torchjs.org/docs/torch.js/generated/torch.nn.MarginRankingLoss",
    "kind": "healthy",
    "bug": "healthy: pairwise ranking MLP scorer, nn.MarginRankingLoss(margin=0.5) on +-1 pair targets",
    "expect": {},
    "consequences": [],
}


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    w = torch.randn(10, generator=torch.Generator().manual_seed(53))
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, 10, generator=g)
    b = torch.randn(n, 10, generator=g)

    def relevance(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ w / 3) + 0.3 * x[:, 0] * x[:, 1]

    return a, b, torch.sign(relevance(a) - relevance(b))


class RankLoss(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.loss = nn.MarginRankingLoss(margin=0.5)

    def forward(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss(scores[:, 0], scores[:, 1], target)


def pair_accuracy(scores: torch.Tensor, target: torch.Tensor) -> float:
    return (torch.sign(scores[:, 0] - scores[:, 1]) == target).float().mean().item()


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    a, b, y = _pairs(5000, 1)
    av, bv, yv = _pairs(1000, 2)
    train = DataLoader(TensorDataset(a, b, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(av, bv, yv), batch_size=500)


def forward(model, batch):
    a, b, y = batch
    return torch.cat([model(a), model(b)], 1), y


def build_loss():
    return RankLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": pair_accuracy, "epochs": 5, "min": 0.85}
