"""Broken: CrossEntropyLoss(reduction="sum") over batches of 256 with the SGD learning rate of
a mean-reduced recipe (0.1): the gradient is 256x larger than the one the learning rate was
chosen for, and training blows up.

Source: Cross Validated "Is it common practice to minimize the mean loss over the batches
instead of the sum?" (https://stats.stackexchange.com/questions/201452/is-it-common-practice-to-minimize-the-mean-loss-over-the-batches-instead-of-the),
found with the `pages` search "loss reduction sum instead of mean learning rate diverges batch
size": the accepted answer notes that the learning rate is sensitive to the magnitude of the
loss, so the mean keeps the step size independent of the batch size; with the sum, the
effective learning rate grows with the batch.

Bug: sum reduction multiplies every gradient by the batch size (256): SGD lr 0.1 acts like lr
25.6 on the mean loss; the first steps throw the logits to huge values and the loss explodes.

Reproduction: 20 standardized features, 4 classes from a nonlinear rule, MLP 20-64-64-4 ReLU,
SGD lr 0.1 momentum 0.9, batch 256. The fix is reduction="mean" (the default).

Verified (verify.py): the mean-reduced loss trains to a much higher validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://stats.stackexchange.com/questions/201452/is-it-common-practice-to-minimize-the-mean-loss-over-the-batches-instead-of-the",
    "kind": "broken",
    "bug": "CrossEntropyLoss(reduction='sum') with batch 256 and SGD lr 0.1 tuned for the mean: effective LR 25.6",
    "expect": {"ND403": "warn", "ND404": "warn"},
    "consequences": ["ND201", "ND303", "ND402"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, 4, generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    return x, (torch.tanh(x @ w) + 0.4 * x[:, :4] ** 2).argmax(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))


def build_data():
    x, y = _rows(6000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss(reduction="sum")


def fixed_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
