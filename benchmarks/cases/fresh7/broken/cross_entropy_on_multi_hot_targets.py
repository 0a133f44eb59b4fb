"""Broken: a multi-label task (each sample carries 1-7 of 8 tags, mostly 1-4) trained with
nn.CrossEntropyLoss on the multi-hot float targets. CrossEntropyLoss accepts float targets as
class *probabilities*, so it does not complain, but its softmax makes the tags compete: the
logits only learn which tags are relatively likely, never whether each tag is present, and the
usual per-tag decision (sigmoid(logit) > 0.5, i.e. logit > 0) is meaningless. The multi-label
loss is BCEWithLogitsLoss (one independent sigmoid per tag).

Source: ThilinaRajapakse/simpletransformers issue #101 "Binary Cross Entropy loss for multi-label
classification" (https://github.com/ThilinaRajapakse/simpletransformers/issues/101), found with
the `issues` search "CrossEntropyLoss for multi-label classification multi-hot targets should use
BCEWithLogitsLoss": the user reads the multi-label model's loss as softmax cross-entropy and asks
for BCE with sigmoid; the maintainer answers that multi-label must use BCE, not CrossEntropy
(also wenliangdai/Modality-Transferable-MER#3, a multi-label dataset run with `ce`).

Reproduction: 16 standardized features, 8 tags, each tag present when its own noisy linear score
is high (at least one tag per sample, 31% of all entries present). MLP 16-64-8, Adam lr 1e-3, batch 64.
Metric: exact-match (subset) accuracy of the per-tag decisions logit > 0 (the decision a
multi-label user applies; per-tag accuracy is dominated by the 70% absent entries). The fix uses
BCEWithLogitsLoss.

Verified (verify.py): the fixed loss reaches a clearly better exact-match accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ThilinaRajapakse/simpletransformers/issues/101",
    "kind": "broken",
    "bug": "multi-label (multi-hot) targets into CrossEntropyLoss: softmax makes the tags compete",
    "expect": {"ND103": "warn"},
    "consequences": ["ND402"],
}

TAGS = 8


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, TAGS, generator=torch.Generator().manual_seed(13))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    score = x @ w / 4 + 0.3 * torch.randn(n, TAGS, generator=g)
    y = (score > 0.55).float()
    top = score.argmax(1)
    y[torch.arange(n), top] = 1.0  # at least one tag per sample
    return x, y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, TAGS))


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def fixed_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def exact_match(out: torch.Tensor, y: torch.Tensor) -> float:
    return ((out > 0) == (y > 0.5)).all(1).float().mean().item()


VERIFY = {
    "metric": exact_match,
    "epochs": 5,
    "fix": {"build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.08,
}
