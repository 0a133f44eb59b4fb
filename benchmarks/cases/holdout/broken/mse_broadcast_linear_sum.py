"""Broken: Linear(3, 1) learns a weighted sum of three inputs with MSELoss between [N, 1] and [N].

Source: PyTorch forums, "Output of the model depends on the shape of the weights tensor"
(https://discuss.pytorch.org/t/output-of-the-model-depends-on-the-shape-of-the-weights-tensor/148155),
found with the `pages` search: the poster's Linear(3, 1, bias=False) could not learn y = x0+x1+x2;
the answer points at the ignored warning "Using a target size (torch.Size([1024])) that is
different to the input size (torch.Size([1024, 1]))" and fixes it with y.unsqueeze(1).

Bug: the [N, 1] output broadcasts against the [N] target to [N, N]; the loss is minimized by
predicting the batch mean of y for every sample, so the weights converge to the wrong values.

Reproduction: the poster's setup (x ~ U(0, 1)^3, Linear(3, 1, bias=False), SGD lr 0.1) with
mini-batches of 128 instead of one 1024-sample batch, and unequal weights y = x0 + 2 x1 + 3 x2:
with the poster's equal weights the broadcast optimum (equal weights matching the mean) happens to
coincide with the true solution in this seeded reproduction, which hides the bug.

Verified (verify.py, VERIFIED.md): the broadcast fit only captures the level of y (the weights go
to roughly equal values instead of 1, 2, 3), so validation R^2 ends clearly below the same model
with y of shape [N, 1], which fits the weighted sum almost exactly (R^2 ~ 1).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/output-of-the-model-depends-on-the-shape-of-the-weights-tensor/148155",
    "kind": "broken",
    "bug": "MSELoss between a [N, 1] output and a [N] target broadcasts to [N, N]",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND405"],
}


def _data(n: int, seed: int, column: bool):
    x = torch.rand(n, 3, generator=torch.Generator().manual_seed(seed))
    y = x @ torch.tensor([1.0, 2.0, 3.0])
    return x, (y[:, None] if column else y)


def build_model() -> nn.Module:
    return nn.Linear(3, 1, bias=False)


def _loaders(column: bool):
    x, y = _data(1024, 1, column)
    xv, yv = _data(256, 2, column)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=256)


def build_data():
    return _loaders(column=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def fixed_data():
    return _loaders(column=True)


VERIFY = {"metric": "r2", "epochs": 20, "fix": {"build_data": fixed_data}, "claims": ["worse_than_fix"], "margin": 0.15}
