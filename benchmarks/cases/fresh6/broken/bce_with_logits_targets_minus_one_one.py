"""Broken: binary labels coded as -1/+1 (the SVM / hinge convention) fed to nn.BCEWithLogitsLoss,
which expects targets in [0, 1]. For a -1 target the loss is log(sigmoid(z)) - 2 log(1 - sigmoid(z)),
which has no lower bound: the loss goes negative and keeps falling as the negatives' logits are
pushed to -infinity, and that unbounded term dominates the gradient.

Source: bigmb/Unet-Segmentation-Pytorch-Nest-of-Unets issue #18 "Negative number occur in 'Loss'"
(https://github.com/bigmb/Unet-Segmentation-Pytorch-Nest-of-Unets/issues/18), found with the
`issues` search "BCEWithLogitsLoss labels -1 and 1 negative loss": the reporter's BCE-with-logits
loss went negative after a few epochs; the cause was an augmentation that left the mask values in
[-1, 1] ("bce's target should be [0, 1]").

Reproduction: a tabular version instead of a U-Net: 24 standardized features, a binary label from
a noisy nonlinear rule, stored as -1/+1 floats [N, 1]; MLP 24-64-64-1, BCEWithLogitsLoss, Adam
lr 1e-3, batch 64. The fix maps the labels to 0/1 ((y + 1) / 2). The metric thresholds the logit
at 0 against the label's sign, so it reads both codings the same way.

Verified (verify.py): the training loss goes below zero and the fixed labels train to a clearly
better validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/bigmb/Unet-Segmentation-Pytorch-Nest-of-Unets/issues/18",
    "kind": "broken",
    "bug": "binary targets coded -1/+1 into BCEWithLogitsLoss (expects 0/1): unbounded, negative loss",
    "expect": {"ND102": "warn", "ND103": "warn"},
    "consequences": ["ND201", "ND204", "ND402", "ND404"],
}


def _rows(n: int, seed: int, signed: bool) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(24, 3, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 24, generator=g)
    h = torch.tanh(x @ w)
    score = h[:, 0] * h[:, 1] + 0.7 * h[:, 2] + 0.3 * torch.randn(n, generator=g)
    y = (score > 0).float().unsqueeze(1)
    return x, (2 * y - 1 if signed else y)


def _loaders(signed: bool):
    x, y = _rows(4000, 1, signed)
    xv, yv = _rows(800, 2, signed)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _loaders(signed=True)


def fixed_data():
    return _loaders(signed=False)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def sign_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return ((out.reshape(-1) > 0) == (y.reshape(-1) > 0)).float().mean().item()


VERIFY = {
    "metric": sign_accuracy,
    "epochs": 6,
    "fix": {"build_data": fixed_data},
    "claims": ["negative_loss", "worse_than_fix"],
    "margin": 0.05,
}
