"""Healthy: a wide MLP with dropout 0.5 after every hidden layer, AdamW, on tabular classes.

Source: Srivastava et al.'s dropout recipe as used in the PyTorch nn.Dropout reference
(https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html), found with the `docs` search
"nn.Dropout p=0.5 hidden layers regularization"; the reference cites "Improving neural networks
by preventing co-adaptation of feature detectors", whose MLPs use p = 0.5 on every hidden layer.

Setup: 6 classes of Gaussian clusters in 30 standardized features (two clusters per class); a
30-512-512-512-6 ReLU MLP with nn.Dropout(0.5) after every hidden layer; CrossEntropyLoss; AdamW
lr 1e-3 weight_decay 0.01; batch 64.

Why it looks suspicious but is healthy: half the units are dropped at every training step, so
the training loss is noisy and higher than the evaluation loss, and a tiny subset is fit slowly;
nn.Dropout modules switch off in eval(), and the model generalizes.

Verified (verify.py): validation accuracy well above chance (1/6) after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html",
    "kind": "healthy",
    "bug": "healthy: 30-512-512-512-6 MLP with nn.Dropout(0.5) after every hidden layer, AdamW",
    "expect": {},
    "consequences": [],
}


def _clusters(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centers = 1.0 * torch.randn(12, 30, generator=torch.Generator().manual_seed(13))
    g = torch.Generator().manual_seed(seed)
    c = torch.randint(0, 12, (n,), generator=g)
    return centers[c] + torch.randn(n, 30, generator=g), c % 6


def build_model() -> nn.Module:
    layers: list[nn.Module] = []
    for a, b in [(30, 512), (512, 512), (512, 512)]:
        layers += [nn.Linear(a, b), nn.ReLU(), nn.Dropout(0.5)]
    return nn.Sequential(*layers, nn.Linear(512, 6))


def build_data():
    x, y = _clusters(3000, 1)
    xv, yv = _clusters(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.8}
