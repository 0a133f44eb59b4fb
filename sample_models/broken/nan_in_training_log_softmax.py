"""Broken: a hand-written cross-entropy, -sum(onehot * log(softmax(z))), turns NaN mid-training.

Once the network is confident, the softmax of a wrong class underflows to exactly 0 in float32 (a
logit gap above about 100), log(0) is -inf, and the one-hot zero times -inf is NaN: at init every
value is finite and the first steps train well, then the loss and every weight turn NaN. Fix:
`nn.CrossEntropyLoss()` (or `F.log_softmax`), which computes log-softmax without forming the
probabilities.

Must fire:
- ND204 (NaN/Inf localization) fail: the short run's NaN is traced to the loss, computed from
  finite model outputs; ND404's NaN is its consequence.
"""

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND204": "fail"}


class HandWrittenCrossEntropy(nn.Module):
    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(logits, dim=1)
        return -(F.one_hot(target, logits.shape[1]) * torch.log(probs)).sum(dim=1).mean()  # BUG: log(0)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return HandWrittenCrossEntropy()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-2)
