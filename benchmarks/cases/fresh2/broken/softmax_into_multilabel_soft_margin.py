"""Broken: a multi-label event tagger ends in softmax and feeds it to MultiLabelSoftMarginLoss.

Source: YapengTian/AVE-ECCV18 issue #15 "Loss Calculation: MultilabelSoftMarginLoss on top of
Softmax Output?" (https://github.com/YapengTian/AVE-ECCV18/issues/15), found with the `issues`
search "multi-label softmax with BCELoss wrong, should use sigmoid". The reporter: the loss applies
a sigmoid to the model's softmax output, and "the softmax output would never accumulate a negative
value and hence, your sigmoid output can never go below 0.5".

Bug: MultiLabelSoftMarginLoss expects one unbounded logit per label; after a softmax every score
is in (0, 1), so the loss's sigmoid is in (0.5, 0.73): every label is predicted present, the
negatives can never be pushed below 0.5, and the labels compete for one unit of probability mass
although several are present at once.

Reproduction: 48 standardized clip features, 10 event labels, each present when a random linear
score of the features is high (about 30% positives, 3 per clip on average); MLP 48-128-10 + softmax;
MultiLabelSoftMarginLoss on multi-hot float targets; Adam lr 1e-3; batch 64. The metric is the
per-label accuracy of the loss's own decision (sigmoid(output) > 0.5, i.e. output > 0).

Verified (verify.py): after 5 epochs the broken tagger's per-label accuracy stays at the share of
positives while the same MLP without the softmax (the fix) is far better.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/YapengTian/AVE-ECCV18/issues/15",
    "kind": "broken",
    "bug": "multi-label tagger with a softmax output fed to MultiLabelSoftMarginLoss (sigmoid of a softmax)",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404", "ND405"],
}

FEATURES, LABELS = 48, 10


def _clips(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(FEATURES, LABELS, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, FEATURES, generator=g)
    score = x @ w / FEATURES**0.5 + 0.3 * torch.randn(n, LABELS, generator=g)
    return x, (score > 0.55).float()


class Tagger(nn.Module):
    def __init__(self, softmax: bool) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(FEATURES, 128), nn.ReLU(), nn.Linear(128, LABELS))
        self.softmax = softmax

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        return torch.softmax(out, dim=1) if self.softmax else out


def build_model() -> nn.Module:
    return Tagger(softmax=True)


def build_data():
    x, y = _clips(3000, 1)
    xv, yv = _clips(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MultiLabelSoftMarginLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return Tagger(softmax=False)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
