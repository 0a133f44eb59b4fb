"""Broken: a hand-written label-smoothing loss that builds its target from the predictions.

`SmoothedCrossEntropy` was meant to smooth the one-hot *labels*, but it one-hot encodes
`logits.argmax(1)`, the model's own predictions, so the `target` argument is never used. The loss
still falls nicely (from 2.3 to about 0.5, the floor of a smoothed target) because the model just
grows more confident in whatever it already predicts, while accuracy stays at chance: it cannot
even fit 20 training samples. Fix: build the smoothed target from `target`
(or use `nn.CrossEntropyLoss(label_smoothing=0.1)`).

Must fire:
- ND402 (overfit a tiny subset) fail: the loss falls but accuracy on 20 samples stays near chance.
"""

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND402": "fail"}


class SmoothedCrossEntropy(nn.Module):
    def __init__(self, smoothing: float = 0.1) -> None:
        super().__init__()
        self.smoothing = smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        classes = logits.shape[1]
        hard = F.one_hot(logits.argmax(dim=1), classes).float()  # BUG: should be F.one_hot(target, ...)
        soft = hard * (1 - self.smoothing) + self.smoothing / classes
        return -(soft * logits.log_softmax(dim=1)).sum(dim=1).mean()


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return SmoothedCrossEntropy()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
