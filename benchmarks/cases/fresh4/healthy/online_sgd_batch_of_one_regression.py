"""Healthy: a small regression MLP trained by "true" stochastic gradient descent, one sample per
step (DataLoader batch_size=1), plain SGD lr 0.01.

Source: Machine Learning Mastery, "Mini-Batch Gradient Descent and DataLoader in PyTorch"
(https://machinelearningmastery.com/mini-batch-gradient-descent-and-dataloader-in-pytorch/),
found with the `pages` search "stochastic gradient descent batch size 1 online learning pytorch
DataLoader batch_size=1 training example": its section "Training with Stochastic Gradient
Descent and DataLoader" builds the loader with batch_size=1 and updates after every sample.

Setup: 600 training rows, 5 standardized features, standardized target from a smooth nonlinear
function plus noise; MLP 5-32-32-1 (tanh), MSELoss, SGD lr 0.01, batch 1 (600 steps per epoch).
No BatchNorm, so a batch of one is legitimate.

Why healthy: every step is noisy (per-sample gradients), the loss curve is jagged, and the
learning rate is moderate for per-sample steps; nothing in the model depends on batch statistics.

Verified (verify.py): validation R^2 well above 0 after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://machinelearningmastery.com/mini-batch-gradient-descent-and-dataloader-in-pytorch/",
    "kind": "healthy",
    "bug": "healthy: tanh MLP regression trained with plain SGD lr 0.01 at batch size 1 (online SGD)",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    y = torch.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] - 0.3 * x[:, 3] + 0.1 * torch.randn(n, generator=g)
    return x, ((y - 0.0) / 0.9)[:, None]


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def build_data():
    x, y = _rows(600, 1)
    xv, yv = _rows(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=1, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01)


VERIFY = {"metric": "r2", "epochs": 4, "min": 0.6}
