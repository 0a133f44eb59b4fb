"""Broken: a hand-written "layer norm" takes its mean and variance over every axis but the last
(the batch axis included) instead of over the features of each sample: it is a batch norm
without running statistics, so a sample's output depends on the other samples in its batch,
at training and at inference.

Source: Kyubyong/transformer issue #40 "Wrong Batch Normalization"
(https://github.com/Kyubyong/transformer/issues/40), found with the `issues` search "my layer
normalization computes mean over batch dimension dim=0 instead of features": the reporter
proposes to change the normalize() moments from the last axis to `axis = list(range(len(shape)
- 1))`, i.e. over the batch, and the reply points out that the Transformer uses layer
normalization, whose statistics are per sample.

Bug: `mean = x.mean(0)`, `var = x.var(0)` inside the LayerNorm module of an MLP. Training in
batches of 64 works (it behaves like batch norm), but predictions made in small batches (here
the validation loader serves one sample at a time, as an online service would) are normalized
with the statistics of that batch alone: with one sample, x - mean is 0 and every prediction is
the same.

Reproduction: 16 standardized features, 3 classes from a nonlinear rule; MLP 16-64-64-3 with the
custom norm after each hidden Linear, ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 64. The fix
normalizes over the last axis (`dim=-1`), as nn.LayerNorm does.

Verified (verify.py): outputs depend on batch-mates, and the fixed norm validates much better.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Kyubyong/transformer/issues/40",
    "kind": "broken",
    "bug": "hand-written LayerNorm takes mean/var over the batch axis (dim 0): outputs depend on batch-mates",
    "expect": {"ND304": "warn"},
    "consequences": ["ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, 3, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    return x, (torch.tanh(x @ w) + 0.4 * x[:, :3] ** 2).argmax(1)


class HandNorm(nn.Module):
    def __init__(self, features: int, dim: int = 0, eps: float = 1e-5) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps
        self.gamma = nn.Parameter(torch.ones(features))
        self.beta = nn.Parameter(torch.zeros(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(self.dim, keepdim=True)
        var = x.var(self.dim, keepdim=True, unbiased=False)
        return self.gamma * (x - mean) / torch.sqrt(var + self.eps) + self.beta


def _mlp(dim: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(16, 64),
        HandNorm(64, dim),
        nn.ReLU(),
        nn.Linear(64, 64),
        HandNorm(64, dim),
        nn.ReLU(),
        nn.Linear(64, 3),
    )


def build_model() -> nn.Module:
    return _mlp(0)


def fixed_model() -> nn.Module:
    return _mlp(-1)


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.1,
}
