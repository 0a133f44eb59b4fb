"""Broken: the optimizer is built with `maximize=True`, so every step climbs the loss instead of
descending it. The loss and the model are fine; the logits are driven to ever more confident
wrong answers and the cross-entropy grows until it overflows (NaN after a few dozen steps).

Source: pytorch/pytorch pull request #112724 "Clarify maximize option in optimizer.py"
(https://github.com/pytorch/pytorch/pull/112724), found with the `issues` search "optimizer
maximize=True loss increases instead of decreasing": the documentation of `maximize` read as if
the *parameters* were maximized, which is not what the flag does (it maximizes the objective);
a reader who takes it for "maximize accuracy" or a harmless option flips the sign of training.
The same symptom is reported in nothing/Deep-Photo-Enhancer#57 (a sign flip, the loss rose).

Reproduction: 10 standardized features, 3 classes from a noisy nonlinear rule; MLP 10-64-64-3,
CrossEntropyLoss, SGD lr 0.05 momentum 0.9 maximize=True, batch 64. The fix drops maximize.

Verified (verify.py): the training loss turns non-finite (step 27) and the model ends at a
meaningless accuracy (argmax of NaN outputs), while the fixed optimizer learns.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/pull/112724",
    "kind": "broken",
    "bug": "SGD(..., maximize=True): every step climbs the cross-entropy instead of descending it",
    "expect": {"ND404": "warn", "ND402": "warn"},
    "consequences": ["ND403", "ND204"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(10, 3, generator=torch.Generator().manual_seed(8))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=g)
    return x, (torch.tanh(x @ w) + 0.3 * torch.randn(n, 3, generator=g)).argmax(1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, maximize=True)


def fixed_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.3,
}
