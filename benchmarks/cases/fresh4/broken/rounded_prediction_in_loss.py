"""Broken: a binary classifier trained with MSELoss on torch.round(torch.sigmoid(logit)): the
rounding step has a zero gradient everywhere, so no parameter ever receives a signal.

Source: PyTorch forum thread "Torch.round() gradient"
(https://discuss.pytorch.org/t/torch-round-gradient/28628/4), found with the `pages` search
"torch.round in loss function gradient zero model not learning": "round() is a step function so
it has derivative zero almost everywhere ... it's not useful for learning because of the zero
gradient." Rounding the prediction so that the loss compares 0/1 with the 0/1 labels is the
pattern asked about there (a later reply asks how to round the network's output and still learn).

Bug: loss = MSE(round(sigmoid(f(x))), y). Autograd keeps the graph (no error is raised) but
d round / dx = 0, so every gradient is exactly zero and Adam never moves a weight; the loss
stays at the initial error rate.

Reproduction: 10 standardized features, label from a nonlinear rule, MLP 10-64-64-1,
Adam lr 1e-3, batch 64. The fix is BCEWithLogitsLoss on the raw logit.

Verified (verify.py): every parameter is unchanged after training, and the fixed loss reaches a
far higher AUC.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/torch-round-gradient/28628/4",
    "kind": "broken",
    "bug": "MSELoss on torch.round(sigmoid(logit)): zero gradient everywhere, nothing trains",
    "expect": {"ND302": "warn"},
    "consequences": ["ND402", "ND404", "ND303"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(10, generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=g)
    y = ((x @ w) * x[:, 0] + x[:, 1] > 0).float()
    return x, y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1), nn.Flatten(0))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


class RoundedMSE(nn.Module):
    def forward(self, logit: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(torch.round(torch.sigmoid(logit)), target)


def build_loss():
    return RoundedMSE()


def fixed_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "auc",
    "epochs": 4,
    "fix": {"build_loss": fixed_loss},
    "claims": ["frozen:", "worse_than_fix"],
    "margin": 0.15,
}
