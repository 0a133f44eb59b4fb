"""Broken: the residual block's forward returns only the residual branch (`return self.net(x)`
instead of `return x + self.net(x)`), so a "ResNet" of 12 two-layer blocks is a plain 26-layer
ReLU MLP with PyTorch's default init: the signal and the gradient shrink at every layer and the
network barely trains.

Source: znxlwm/UGATIT-pytorch issue #32 "no skip connection in residual block"
(https://github.com/znxlwm/UGATIT-pytorch/issues/32), found with the `issues` search "residual
block forgot to add skip connection deep network does not train": the reporter points at a
residual block that returns `out` and asks whether it should be `return out + x`; the
maintainer thanks them (the skip was missing).

Bug: without the identity path every block is Linear-ReLU-Linear-ReLU; with nn.Linear's default
init (weight variance 1/(3 fan_in)) each ReLU layer keeps about 1/6 of the variance, so after 24
layers the input is drowned by the biases and the first layers get almost no gradient.

Reproduction: 32 standardized features, 4 classes from a nonlinear rule; Linear(32, 64), 12
blocks of (Linear 64-64, ReLU) x 2, Linear(64, 4); CrossEntropyLoss, Adam lr 1e-3, batch 64.
The fix adds the skip (`x + self.net(x)`).

Verified (verify.py): the fixed blocks train to a much higher validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/znxlwm/UGATIT-pytorch/issues/32",
    "kind": "broken",
    "bug": "residual block returns self.net(x) without + x: a plain 26-layer ReLU MLP, signal and gradient vanish",
    "expect": {"ND301": "warn", "ND203": "warn", "ND104": "warn"},
    "consequences": ["ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(32, 4, generator=torch.Generator().manual_seed(8))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 32, generator=g)
    return x, (torch.tanh(x @ w) + 0.3 * x[:, :4]).argmax(1)


class Block(nn.Module):
    def __init__(self, skip: bool) -> None:
        super().__init__()
        self.skip = skip
        self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x) if self.skip else self.net(x)


def _net(skip: bool) -> nn.Module:
    return nn.Sequential(nn.Linear(32, 64), *[Block(skip) for _ in range(12)], nn.Linear(64, 4))


def build_model() -> nn.Module:
    return _net(skip=False)


def fixed_model() -> nn.Module:
    return _net(skip=True)


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
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
