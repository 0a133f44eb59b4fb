"""Broken: BatchNorm1d(momentum=0) in a model trained from scratch. In PyTorch's convention
momentum is the weight of the new batch in the running average, so 0 means the running mean and
variance never leave their initial 0 and 1: training normalizes with batch statistics, eval
with (0, 1), and the evaluated network is not the one that was trained.

Source: Cadene/pretrained-models.pytorch issue #5 "BatchNorm momentum set to 0 in Inception
models" (https://github.com/Cadene/pretrained-models.pytorch/issues/5), found with the `issues`
search "BatchNorm momentum keras 0.99 vs pytorch 0.01 convention running mean wrong eval
accuracy": `nn.BatchNorm2d(out_planes, eps=0.001, momentum=0)` (a value carried over from the
TensorFlow port) "prevents the running mean and var from being updated during training. When
training one of these models on a different dataset, this causes a significant discrepancy
between train and eval modes." The fix was PyTorch's default momentum.

Bug: with momentum 0 the running statistics stay at mean 0, variance 1. The pre-BN activations
here have a non-zero mean (the features are positive and not standardized) and a standard deviation far from 1, so at eval every unit is shifted and scaled
differently from training.

Reproduction: 24 positive, skewed features left unstandardized (log-normal, mean 1.2, std 0.8),
4 classes from a nonlinear rule; MLP 24-128-64-4 with
BatchNorm1d after each hidden Linear, ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 64. The fix is
momentum=0.1 (the default).

Verified (verify.py): train-mode accuracy is high while eval accuracy is far lower than the
fixed model's.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Cadene/pretrained-models.pytorch/issues/5",
    "kind": "broken",
    "bug": "BatchNorm1d(momentum=0): running mean/var never updated, eval normalizes with (0, 1)",
    "expect": {"ND106": "warn", "ND405": "warn"},
    "consequences": ["ND101"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(24, 4, generator=torch.Generator().manual_seed(21))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 24, generator=g)
    x = torch.exp(0.6 * z)  # positive, skewed, mean ~1.2
    return x, (torch.tanh(z @ w) + 0.3 * z[:, :4]).argmax(1)


def _mlp(momentum: float) -> nn.Module:
    return nn.Sequential(
        nn.Linear(24, 128),
        nn.BatchNorm1d(128, momentum=momentum),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.BatchNorm1d(64, momentum=momentum),
        nn.ReLU(),
        nn.Linear(64, 4),
    )


def build_model() -> nn.Module:
    return _mlp(0.0)


def fixed_model() -> nn.Module:
    return _mlp(0.1)


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
