"""Broken: a classifier trained on its log-likelihood instead of the negative log-likelihood:
the hand-written loss is log_softmax(out).gather(target).mean() with the minus sign missing, so
minimizing it drives the probability of the correct class to zero.

Source: kmkurn/pytorch-crf issue #27 "Multiply -1 before loss.backward()?"
(https://github.com/kmkurn/pytorch-crf/issues/27), found with the `issues` search "loss forgot
minus sign log likelihood maximized instead of minimized loss goes to negative infinity": the
library "returns the log likelihood. So, to use it as a loss objective to minimize, you'd want
to multiply it by -1 first." Forgetting that minus is the bug reproduced here on a plain
classifier, where the log-likelihood is written by hand.

Bug: loss = mean(log p(y | x)) <= 0. Gradient descent lowers it without bound, pushing the
logit of the labelled class down; the loss "improves" steadily (more and more negative) while
accuracy falls below chance.

Reproduction: 12 standardized features, 5 classes, MLP 12-64-64-5, Adam lr 1e-3, batch 64. The
fix negates the loss (= nn.CrossEntropyLoss).

Verified (verify.py): the training loss is negative and the fixed loss reaches a far higher
validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/kmkurn/pytorch-crf/issues/27",
    "kind": "broken",
    "bug": "hand-written log-likelihood minimized without its minus sign: the correct class is pushed down",
    "expect": {"ND402": "warn", "ND103": "warn"},
    "consequences": ["ND201", "ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, 5, generator=torch.Generator().manual_seed(19))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    return x, (x @ w + 0.3 * torch.randn(n, 5, generator=g)).argmax(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


class LogLikelihood(nn.Module):
    def __init__(self, sign: float = 1.0) -> None:
        super().__init__()
        self.sign = sign

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ll = torch.log_softmax(logits, dim=1).gather(1, target[:, None]).mean()
        return self.sign * ll  # sign=1: the log-likelihood itself, minimized


def build_loss():
    return LogLikelihood(sign=1.0)


def fixed_loss():
    return LogLikelihood(sign=-1.0)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_loss": fixed_loss},
    "claims": ["negative_loss", "worse_than_fix"],
    "margin": 0.3,
}
