"""Healthy: CORAL ordinal regression: one shared score plus K-1 ordered biases, trained with binary
cross-entropy on the extended binary targets [y > 0, y > 1, ..., y > K-2].

Source: Raschka-research-group/coral-pytorch (https://github.com/Raschka-research-group/coral-pytorch),
found with the `docs` search "CORAL ordinal regression pytorch coral_loss levels_from_labelbatch":
CoralLayer (a Linear to one unit without bias plus K-1 learnable biases), coral_loss (binary
cross-entropy with logits over the K-1 tasks) and levels_from_labelbatch (the extended binary
targets).

Setup: 5 ordered grades from a latent score of 20 standardized features (a nonlinear function
plus noise, cut at fixed thresholds); MLP 20-64-32 then a CORAL layer (Linear(32, 1, bias=False)
+ 4 biases) giving 4 logits; targets are the levels [N, 4] as floats; nn.BCEWithLogitsLoss (the
mean over tasks and samples); SGD lr 0.05 momentum 0.9; batch 64. The metric is the exact-grade
accuracy of the predicted rank (the number of logits above 0).

Why healthy: logits into BCEWithLogitsLoss, 0/1 float targets of the output's shape, standardized
inputs; the rank-consistent head is the method's own.

Verified (verify.py): exact-grade validation accuracy well above chance (0.2) after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Raschka-research-group/coral-pytorch",
    "kind": "healthy",
    "bug": "healthy: CORAL ordinal regression head (shared score + K-1 biases), BCEWithLogits on extended binary levels, SGD",
    "expect": {},
    "consequences": [],
}

GRADES = 5


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, generator=torch.Generator().manual_seed(23))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    score = x @ w / 20**0.5 + 0.5 * torch.sin(x[:, 0] * 2) + 0.2 * torch.randn(n, generator=g)
    grade = torch.bucketize(score, torch.tensor([-0.9, -0.3, 0.3, 0.9]))
    levels = (grade[:, None] > torch.arange(GRADES - 1)).float()
    return x, levels


class CoralNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.score = nn.Linear(32, 1, bias=False)
        self.biases = nn.Parameter(torch.arange(GRADES - 1, 0, -1).float() / (GRADES - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(x)) + self.biases


def grade_accuracy(logits: torch.Tensor, levels: torch.Tensor) -> float:
    return ((logits > 0).sum(1) == levels.sum(1)).float().mean().item()


def build_model() -> nn.Module:
    return CoralNet()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


VERIFY = {"metric": grade_accuracy, "epochs": 6, "min": 0.5}
