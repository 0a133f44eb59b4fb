"""Broken: a hand-written batch standardization, (h - h.mean(0)) / h.std(0) with no epsilon, on
ReLU features: once a unit dies for a whole batch during training its std is 0 and 0/0 = NaN.

Source: yaohungt/Barlow-Twins-HSIC issue #6 "Inaccuracy in the cross correlation for small batch
sizes" (https://github.com/yaohungt/Barlow-Twins-HSIC/issues/6), found with the `issues` search
"pearson correlation loss nan std zero batch": the repository replaces the original BatchNorm1d
with `(z - z.mean(0)) / z.std(0)`; the same division by a batch standard deviation is what
allenai/allennlp pull request #3101 guards ("there will be a case where
math.sqrt(predictions_variance) ... is zero, so a judgment is added here to prevent the
denominator from being zero"). nn.BatchNorm1d adds eps = 1e-5 to the variance.

Bug: a ReLU unit that is inactive on every sample of a batch has mean 0 and std 0, so its
standardized value is 0/0 = NaN and the NaN reaches the logits and the loss. At initialization
every unit is active on part of each batch; SGD with momentum kills units within the budget
(the classic dying ReLU), and the first fully dead unit poisons the run.

Reproduction: 6 classes in 20 standardized features, MLP 20-64-ReLU, the standardization above as
a module, then 64-6; nn.CrossEntropyLoss, SGD lr 0.1 momentum 0.9, batch 8 (small batches, as in the issue, make a
batch-wide dead unit likely); the first layer's bias starts at 1.0 so that every unit is active
at initialization.

Verified (verify.py): the training loss becomes NaN within the budget, while nn.BatchNorm1d(64)
(the fix: eps in the denominator) trains the same model to high accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/yaohungt/Barlow-Twins-HSIC/issues/6",
    "kind": "broken",
    "bug": "hand-written (h - h.mean(0)) / h.std(0) without eps on ReLU features: a dead unit gives 0/0 = NaN",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}

CLASSES = 6


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres = 1.0 * torch.randn(CLASSES, 20, generator=torch.Generator().manual_seed(17))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = centres[y] + torch.randn(n, 20, generator=g)
    return (x - x.mean(0)) / x.std(0), y


class BatchStandardize(nn.Module):
    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return (h - h.mean(0)) / h.std(0)


def _mlp(norm: nn.Module) -> nn.Module:
    first = nn.Linear(20, 64)
    nn.init.constant_(first.bias, 1.0)  # every unit starts active on (almost) every sample
    return nn.Sequential(first, nn.ReLU(), norm, nn.Linear(64, CLASSES))


def build_model() -> nn.Module:
    return _mlp(BatchStandardize())


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def fixed_model() -> nn.Module:
    return _mlp(nn.BatchNorm1d(64))


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
