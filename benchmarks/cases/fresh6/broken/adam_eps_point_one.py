"""Broken: Adam with eps=0.1 (the default is 1e-8). Adam's step is lr * m / (sqrt(v) + eps); when
the gradients are much smaller than eps, the denominator is about eps and the step shrinks to
lr * m / 0.1: plain SGD-with-momentum at an effective learning rate of 1e-2, far too small for
gradients of this size, and the loss barely moves.

Source: mlpnlp/mlpnlp-nmt pull request #4 "Fix default eps value of the Adam optimizer"
(https://github.com/mlpnlp/mlpnlp-nmt/pull/4), found with the `issues` search "Adam epsilon 1.0
training very slow": "the default eps value of the Adam optimizer (0.1) is too large compared to
the Chainer's default value: 1e-08 ... the training does not work well when using eps=0.1".

Reproduction: a small 1-D CNN text-like classifier instead of an NMT model: sequences of 32
steps x 8 channels, 4 classes from which motif occurs (added at amplitude 0.6 to unit noise); Conv1d(8, 32, 5) - ReLU - Conv1d(32, 32,
5) - ReLU - global max pool - Linear(32, 4); CrossEntropyLoss, Adam lr 1e-3 eps 0.1, batch 64.
The per-weight gradients of this net are ~1e-3, far below eps. The fix is eps=1e-8.

Verified (verify.py): the fixed optimizer trains to a much better validation accuracy in the same
budget.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/mlpnlp/mlpnlp-nmt/pull/4",
    "kind": "broken",
    "bug": "Adam eps=0.1 (default 1e-8): with gradients << eps the steps are ~100x too small",
    "expect": {"ND404": "warn", "ND403": "warn"},
    "consequences": ["ND402"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    motifs = torch.randn(4, 8, 5, generator=torch.Generator().manual_seed(12))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, 32, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    pos = torch.randint(0, 28, (n,), generator=g)
    for i in range(n):
        x[i, :, pos[i] : pos[i] + 5] += 0.6 * motifs[y[i]]
    return x, y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(8, 32, 5, padding=2),
        nn.ReLU(),
        nn.Conv1d(32, 32, 5, padding=2),
        nn.ReLU(),
        nn.AdaptiveMaxPool1d(1),
        nn.Flatten(),
        nn.Linear(32, 4),
    )


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, eps=0.1)


def fixed_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
