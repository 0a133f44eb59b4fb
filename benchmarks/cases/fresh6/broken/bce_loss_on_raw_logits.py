"""Broken: nn.BCELoss applied to the raw output of a Linear layer (no sigmoid). BCELoss takes
probabilities; PyTorch checks the range and training stops with "RuntimeError: all elements of
input should be between 0 and 1" as soon as one output leaves [0, 1] (here at the first batch).

Source: ray-project/ray issue #17117 "RuntimeError: all elements of input should be between 0 and
1" (https://github.com/ray-project/ray/issues/17117), found with the `issues` search "BCELoss all
elements of input should be between 0 and 1 forgot sigmoid": the training operator's model is a
bare `nn.Linear(1, 1)` and its criterion `torch.nn.BCELoss()`.

Reproduction: 16 standardized features, a binary label from a noisy linear rule ([N, 1] floats);
a small MLP 16-32-1 without a final sigmoid, BCELoss, SGD lr 0.05, batch 32. The fix uses
BCEWithLogitsLoss on the same logits.

Verified (verify.py): training raises the RuntimeError; the fixed loss trains to a good accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ray-project/ray/issues/17117",
    "kind": "broken",
    "bug": "nn.BCELoss on raw Linear outputs (no sigmoid): RuntimeError, inputs must be in [0, 1]",
    "expect": {"ND103": "warn"},
    "consequences": ["ND204"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    return x, ((x @ w + 0.5 * torch.randn(n, generator=g)) > 0).float().unsqueeze(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.BCELoss()


def fixed_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 4,
    "fix": {"build_loss": fixed_loss},
    "claims": ["crash", "worse_than_fix"],
    "margin": 0.2,
}
