"""Broken: a regression head's squeezed [N] output is compared with [N, 1] labels by MSELoss.

Source: GitHub issue deepset-ai/FARM#229, "Using a target size ... that is different to the input
size" (https://github.com/deepset-ai/FARM/issues/229), found with the `issues` search: a document
regression task (labels 0..16) warned "Using a target size (torch.Size([32, 1])) that is different
to the input size (torch.Size([32]))"; the maintainers found "the logits were squeezed".

Bug: MSELoss broadcasts [N] against [N, 1] to an [N, N] matrix and averages the error of every
prediction against every label, whose minimum is predicting the batch mean for everyone: the loss
falls, PyTorch only warns, and the model learns nothing about the individual documents.

Reproduction: 32-d "document embeddings" (synthetic, seeded) whose label 0..16 is a nonlinear
function of them, a 32-64-1 MLP head whose forward squeezes the last dim, MSELoss, Adam lr 1e-3,
batch 32 (the report's batch size).

Verified (verify.py, VERIFIED.md): validation R^2 (computed per sample) stays near 0 while the same
head with matching shapes reaches a high R^2 in the same 20 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/deepset-ai/FARM/issues/229",
    "kind": "broken",
    "bug": "MSELoss between a squeezed [N] prediction and [N, 1] labels broadcasts to [N, N]",
    "expect": {"ND103": "warn"},
    "consequences": ["ND402", "ND405"],
}


def _docs(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(32, 4, generator=torch.Generator().manual_seed(99))
    x = torch.randn(n, 32, generator=g)
    h = torch.tanh(x @ w)
    y = 8 + 2.5 * (h[:, 0] + h[:, 1] + 0.5 * h[:, 2] * h[:, 3]) + 0.3 * torch.randn(n, generator=g)
    return x, y.clamp(0, 16)[:, None]


class Head(nn.Module):
    def __init__(self, squeeze: bool) -> None:
        super().__init__()
        self.squeeze = squeeze
        self.net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        out = self.net(x)
        return out.squeeze(-1) if self.squeeze else out


def build_model() -> nn.Module:
    return Head(squeeze=True)


def build_data():
    x, y = _docs(2000, 1)
    xv, yv = _docs(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return Head(squeeze=False)


VERIFY = {
    "metric": "r2",
    "epochs": 20,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
