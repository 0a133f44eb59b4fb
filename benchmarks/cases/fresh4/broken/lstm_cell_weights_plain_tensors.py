"""Broken: a hand-written recurrent cell whose weight matrices are plain tensors created with
requires_grad=True instead of nn.Parameter: they are not in model.parameters(), so the
optimizer never updates them; only the registered output layer trains.

Source: automan000/Convolutional_LSTM_PyTorch issue #17 "Why Wci, Wcf, Wco are Variables rather
than nn.Parameters" (https://github.com/automan000/Convolutional_LSTM_PyTorch/issues/17), found
with the `issues` search "tensor with requires_grad=True not nn.Parameter not in
model.parameters() not updated by optimizer". The reply demonstrates it: with `self.w =
torch.rand(2, 2); self.w.requires_grad = True`, "if you declare an optimizer like
Adam(model.parameters()), parameters will not be updated forever".

Bug: the cell's input and recurrent weights (self.w_x, self.w_h, self.b) are attributes holding
tensors that require grad. They get gradients but no optimizer holds them: the recurrence stays
at its random initialization and the model is a random-feature RNN plus a trained linear readout.

Reproduction: sequences of 12 steps x 4 features; the target is a nonlinear function of a
running sum of the inputs (needs learned memory). Cell: h = tanh(x W_x + h W_h + b), hidden 24,
Linear(24, 1) head on the last state; MSELoss, Adam lr 3e-3, batch 64. The fix wraps the three
tensors in nn.Parameter.

Verified (verify.py): the fixed cell reaches a much higher validation R^2 in the same budget.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/automan000/Convolutional_LSTM_PyTorch/issues/17",
    "kind": "broken",
    "bug": "RNN cell weights kept as plain tensors with requires_grad=True (not nn.Parameter): never optimized",
    "expect": {"ND107": "warn"},
    "consequences": ["ND402", "ND405"],
}

STEPS, FEATURES, HIDDEN = 12, 4, 24


def _series(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, STEPS, FEATURES, generator=g)
    s = x[:, :, 0].sum(1) / STEPS**0.5 - x[:, :, 1].sum(1) / STEPS**0.5
    y = torch.sin(1.5 * s) + 0.5 * (x[:, -3:, 2].mean(1) > 0).float()
    return x, ((y - y.mean()) / y.std()).unsqueeze(1)


class HandRNN(nn.Module):
    def __init__(self, as_parameters: bool = False) -> None:
        super().__init__()
        w_x = torch.randn(FEATURES, HIDDEN) / FEATURES**0.5
        w_h = torch.randn(HIDDEN, HIDDEN) / HIDDEN**0.5
        b = torch.zeros(HIDDEN)
        if as_parameters:
            self.w_x, self.w_h, self.b = nn.Parameter(w_x), nn.Parameter(w_h), nn.Parameter(b)
        else:
            self.w_x = w_x.requires_grad_()
            self.w_h = w_h.requires_grad_()
            self.b = b.requires_grad_()
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], HIDDEN)
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.w_x + h @ self.w_h + self.b)
        return self.head(h)


def build_model() -> nn.Module:
    return HandRNN(as_parameters=False)


def fixed_model() -> nn.Module:
    return HandRNN(as_parameters=True)


def build_data():
    x, y = _series(3000, 1)
    xv, yv = _series(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "r2",
    "epochs": 8,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
