"""Broken: a bag-of-words text classifier (nn.EmbeddingBag) trained with RMSprop(eps=0): every
embedding row that the first batch does not touch gets the update 0 / (sqrt(0) + 0) = NaN.

Source: ml-explore/mlx pull request #3712 "Fix optimizer epsilon validation message and AdaDelta
eps doc" (https://github.com/ml-explore/mlx/pull/3712), found with the `issues` search "optimizer
epsilon set to 0 division by zero nan weights Adam"; the review: "eps == 0 is unsafe for these
optimizers. Their accumulators start at zero, so a zero gradient makes RMSprop/Adagrad compute
0 / 0 ... all produce NaN parameters. I reproduced this for all three classes." torch.optim.RMSprop
accepts eps=0 the same way.

Bug: RMSprop divides grad by sqrt(square_avg) + eps. A dense nn.EmbeddingBag gradient is exactly
zero for every token absent from the batch, and its square_avg is still 0 on the first step, so
those rows become NaN after the first update; the next batch that contains one of them gives a
NaN loss. At initialization (before any step) everything is finite.

Reproduction: 2,000-token vocabulary, documents of 30 tokens whose topic (4 classes) shifts the
token distribution, EmbeddingBag(2000, 32, mode="mean") -> Linear(32, 4), nn.CrossEntropyLoss,
RMSprop lr 1e-3 eps 0, batch 32. The original discussion is about the optimizer's argument check.

Verified (verify.py): the training loss becomes NaN within the budget, while the default eps
(1e-8, the fix) trains to high accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ml-explore/mlx/pull/3712",
    "kind": "broken",
    "bug": "RMSprop(eps=0): untouched EmbeddingBag rows get 0/0 = NaN updates on the first step",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}

VOCAB, CLASSES, LENGTH = 2000, 4, 30


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    topic_logits = 1.5 * torch.randn(CLASSES, VOCAB, generator=torch.Generator().manual_seed(11))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    probs = torch.softmax(topic_logits[y], dim=1)
    x = torch.multinomial(probs, LENGTH, replacement=True, generator=g)
    return x, y


class BagOfWords(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(VOCAB, 32, mode="mean")
        self.fc = nn.Linear(32, CLASSES)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc(self.embed(tokens))


def build_model() -> nn.Module:
    return BagOfWords()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3, eps=0.0)


def fixed_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
