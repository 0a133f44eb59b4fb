"""Broken: an LSTM regressor ends in softmax and is trained with MSE on values from 1 to 10.

Source: GitHub issue keras-team/keras#321, "LSTM with mean_squared_error doesn't reduce the loss
over time" (https://github.com/keras-team/keras/issues/321), found with the `issues` search: a
two-column saw-tooth sequence "from 1 to 10" predicted by LSTM -> Dense(2) -> Activation('softmax')
with loss="mean_squared_error"; "I get all the time the exactly same value of loss function".

Bug: softmax outputs are positive and sum to 1, so the two predicted values can never reach
targets between 1 and 10; the best the model can do is a fixed split of 1 between the columns,
the loss stays at the same large value and nothing is learned about the sequence.

Reproduction: the issue's data shape (two saw-tooth columns cycling 1..10 with different phases,
windows of 10 steps -> next step), nn.LSTM(2, 150, batch_first) -> Linear(150, 2) -> Softmax,
MSELoss, RMSprop lr 1e-3 (the issue's optimizer), batch 64.

Verified (verify.py, VERIFIED.md): validation R^2 stays very negative while the same network
without the softmax (the fix) predicts the next values.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/keras-team/keras/issues/321",
    "kind": "broken",
    "bug": "softmax output layer for a 2-value regression with targets between 1 and 10 (MSE)",
    "expect": {"ND108": "warn", "ND103": "warn"},
    "consequences": ["ND101", "ND201", "ND402", "ND404", "ND405"],
}


class SawLSTM(nn.Module):
    def __init__(self, softmax: bool) -> None:
        super().__init__()
        self.softmax = softmax
        self.lstm = nn.LSTM(2, 150, batch_first=True)
        self.dense = nn.Linear(150, 2)

    def forward(self, x):
        h, _ = self.lstm(x)
        y = self.dense(h[:, -1])
        return torch.softmax(y, dim=1) if self.softmax else y


def _saw():
    t = torch.arange(3000)
    a = (t % 10 + 1).float()
    b = ((t * 3 // 2) % 10 + 1).float()
    series = torch.stack([a, b], 1)
    w = series.unfold(0, 11, 1).transpose(1, 2)  # [N, 11, 2]
    return w[:, :10], w[:, 10]


def build_model() -> nn.Module:
    return SawLSTM(softmax=True)


def build_data():
    x, y = _saw()
    train = DataLoader(
        TensorDataset(x[:2400], y[:2400]), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(x[2400:], y[2400:]), batch_size=590)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return SawLSTM(softmax=False)


VERIFY = {"metric": "r2", "epochs": 6, "fix": {"build_model": fixed_model}, "claims": ["worse_than_fix"], "margin": 0.5}
