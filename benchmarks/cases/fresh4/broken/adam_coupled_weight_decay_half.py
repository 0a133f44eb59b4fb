"""Broken: torch.optim.Adam with weight_decay=0.5 (coupled L2 added to the gradient) on a small
MLP classifier: the penalty's gradient swamps the data gradient and the weights are held near zero.

Source: "AdamW for a ResNet56v2 - III - excursion: weight decay vs. L2 regularization in Adam and
AdamW" (https://machine-learning.anracom.com/2024/06/12/adamw-for-a-resnet56v2-iii-excursion-weight-decay-vs-l2-regularization-in-adam-and-adamw),
found with the `pages` search "weight decay too high Adam network outputs constant underfitting
lowering weight_decay fixed it": Adam's weight_decay is L2 regularization folded into the
gradient before the adaptive normalization, unlike AdamW's decoupled decay, so its strength
interacts with the gradient scale. A value copied from a decoupled-decay recipe or chosen "to
regularize hard" (0.1 - 1) is far too strong as coupled L2.

Bug: the loss the optimizer minimizes is CE + 0.25 * sum(w^2). With ~9k weights of std ~0.1 the
penalty is ~20x the initial data loss; Adam's normalized steps then shrink every weight towards
the tiny equilibrium where the data gradient balances 0.5 * w, and the classifier underfits.

Reproduction: 20 standardized features, 4 classes from a nonlinear rule, MLP 20-128-64-4, ReLU,
CrossEntropyLoss, Adam lr 1e-3 weight_decay 0.5, batch 64. The fix is weight_decay 1e-4.

Verified (verify.py): the fixed optimizer reaches a much higher validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://machine-learning.anracom.com/2024/06/12/adamw-for-a-resnet56v2-iii-excursion-weight-decay-vs-l2-regularization-in-adam-and-adamw",
    "kind": "broken",
    "bug": "Adam weight_decay=0.5 (coupled L2): the penalty dominates the data loss, the MLP underfits",
    "expect": {"ND401": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, 4, generator=torch.Generator().manual_seed(13))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    y = (torch.tanh(x @ w) + 0.5 * x[:, :4] ** 2).argmax(1)
    return x, y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 4))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, weight_decay=0.5)


def fixed_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, weight_decay=1e-4)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
