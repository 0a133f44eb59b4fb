"""Healthy: an LSTM sequence classifier whose forget-gate biases are initialized to a large value
(5, so the forget gate starts at sigmoid(5) = 0.993: the cell remembers almost everything), the
old recommendation for learning long-range dependencies.

Source: craffel/nntools issue #19 "Default bias initialization in forget gate"
(https://github.com/craffel/nntools/issues/19), found with the `issues` search "LSTM forget gate
bias initialize to 1 pytorch": it quotes Sutskever's thesis, "it is important for them to be
approximately 1 at the early stages of learning, which is accomplished by initializing bf to a
large value (such as 5)". PyTorch's gate order is input, forget, cell, output (pytorch/pytorch
issue #750), so the forget slice is [H:2H] of bias_ih and bias_hh.

Setup: sequences of 40 steps x 4 features; the class (3) is set by a pulse pattern in the first
5 steps, followed by 35 steps of noise, so the information must be carried through the sequence.
nn.LSTM(4, 48, batch_first=True) with bias_ih[48:96] = 5 and bias_hh[48:96] = 0, the last
hidden state -> Linear(48, 3); CrossEntropyLoss, Adam lr 2e-3, batch 64.

Why healthy: saturated-looking gate pre-activations at init (sigmoid of 5) look like a
saturation problem to a heuristic; here they are the point.

Verified (verify.py): validation accuracy far above chance (1/3).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/craffel/nntools/issues/19",
    "kind": "healthy",
    "bug": "healthy: LSTM classifier with forget-gate bias 5 (long memory), early-cue sequences, Adam",
    "expect": {},
    "consequences": [],
}

STEPS, H = 40, 48


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    cues = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(2))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = 0.5 * torch.randn(n, STEPS, 4, generator=g)
    x[:, :5] += cues[y]
    return x, y


class LongMemoryLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, H, batch_first=True)
        with torch.no_grad():
            self.lstm.bias_ih_l0[H : 2 * H].fill_(5.0)
            self.lstm.bias_hh_l0[H : 2 * H].zero_()
        self.head = nn.Linear(H, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


def build_model() -> nn.Module:
    return LongMemoryLSTM()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=2e-3)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.8}
