"""Healthy: a binary classifier that outputs one logit and trains with BCEWithLogitsLoss.

Source: UT Austin CS342 notes, "Sigmoid" (http://www.philkr.net/cs342/doc/sigmoid/), found with the
`pages` search: "when training such a binary classifier always use the cross entropy ... For
numerical reasons always use BCEWithLogitsLoss and avoid torch.nn.BCELoss ... you don't need to
pass the input tensor to the sigmoid layer before training with BCEWithLogitsLoss."

Setup: a cat-vs-dog stand-in on 20 standardized features (non-linear boundary, 60/40 class
split), a 20-32-32-1 ReLU MLP returning the raw logit, BCEWithLogitsLoss on float 0/1 targets of
shape [N, 1], Adam lr 1e-3, batch 64.

Why healthy: logits into the logit-based loss, target and output shapes identical, sane scales.

Verified (verify.py, VERIFIED.md): validation accuracy (logit > 0) well above the 60% base rate
after 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "http://www.philkr.net/cs342/doc/sigmoid/",
    "kind": "healthy",
    "bug": "healthy: binary MLP returning a raw logit, BCEWithLogitsLoss on [N, 1] float targets",
    "expect": {},
    "consequences": [],
}


def _pets(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    w = torch.randn(20, generator=torch.Generator().manual_seed(50)) * 0.5
    logit = x @ w + torch.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.4
    return x, (logit + 0.3 * torch.randn(n, generator=g) > 0).float()[:, None]


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))


def build_data():
    x, y = _pets(3000, 1)
    xv, yv = _pets(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "binary_accuracy", "epochs": 5, "min": 0.7}
