"""Healthy: full-batch training: the DataLoader's batch size equals the training set (1024 rows),
so every step sees the whole set and each "epoch" is a single Adam step (lr 1e-2). A small
tanh MLP regresses a smooth function of 6 standardized features with MSELoss.

Source: EITCA "Is it better to feed the dataset for neural network training in full rather than
in batches?" (https://dev-temp3.eitca.eu/artificial-intelligence/eitc-ai-dlpp-deep-learning-with-python-and-pytorch/data-eitc-ai-dlpp-deep-learning-with-python-and-pytorch/datasets/is-it-better-to-feed-the-dataset-for-neural-network-training-in-full-rather-than-in-batches),
found with the `pages` search "full batch gradient descent small dataset batch size equal to
dataset size pytorch": full-batch gradient descent gives exact, stable gradients and is fine
whenever the data fits in memory; its cost is one update per pass.

Setup: 6 standardized features, target = sin(x0) + 0.5 x1 x2 + 0.3 x3^2 - 0.3 + noise 0.1,
standardized; MLP 6-64-64-1 with tanh, MSELoss, Adam lr 1e-2, batch 1024 = the whole training
set (one batch per epoch, no shuffling needed), 300 epochs = 300 steps.

Why healthy: one batch per epoch and "no shuffling" look like a loader problem, and the large
batch like a reason for a tiny gradient noise / slow progress, but the run converges smoothly.

Verified (verify.py): validation R^2 well above 0.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://dev-temp3.eitca.eu/artificial-intelligence/eitc-ai-dlpp-deep-learning-with-python-and-pytorch/data-eitc-ai-dlpp-deep-learning-with-python-and-pytorch/datasets/is-it-better-to-feed-the-dataset-for-neural-network-training-in-full-rather-than-in-batches",
    "kind": "healthy",
    "bug": "healthy: full-batch training (batch = all 1024 rows, one Adam step lr 1e-2 per epoch), tanh MLP, MSE",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    y = torch.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] + 0.3 * x[:, 3] ** 2 - 0.3 + 0.1 * torch.randn(n, generator=g)
    return x, (y / 0.95).unsqueeze(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))


def build_data():
    x, y = _rows(1024, 1)
    xv, yv = _rows(512, 2)
    return DataLoader(TensorDataset(x, y), batch_size=1024), DataLoader(TensorDataset(xv, yv), batch_size=512)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


VERIFY = {"metric": "r2", "epochs": 300, "min": 0.8}
