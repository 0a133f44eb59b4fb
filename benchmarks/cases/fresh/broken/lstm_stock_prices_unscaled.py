"""Broken: an LSTM stock-price regressor fed raw prices and volumes (no MinMaxScaler).

Source: hunkim/DeepLearningZeroToAll pull request #137 "separated scaler & inverse scale"
(https://github.com/hunkim/DeepLearningZeroToAll/pull/137), found with the `issues` search "LSTM
time series prediction flat line data not normalized scaling MinMaxScaler forgot". The lab's
stock-prediction script scales [open, high, low, volume, close] with MinMaxScaler under the
comment "very important. It does not work without it."; this case is the script without it.

Bug: prices around 800 and volumes around 1e6 drive the LSTM gates into saturation from the first
step (the input-to-hidden pre-activations are hundreds to millions), so the hidden state is a
nearly constant +-1 pattern; and the raw close target (~800) is far from the untrained output,
so Adam spends the whole budget moving the output bias towards the price level.

Reproduction: a synthetic random-walk price series (open/high/low/close near 800, volume around
1e6), 7-day windows of the 5 features predicting the next close; nn.LSTM(5, 16, batch_first=True)
+ Linear on the last step; MSELoss; Adam lr 0.01 (the lab's settings); batch 64; windows split
at random into 1000 training and 293 validation windows. The fix is the lab's MinMaxScaler on
every column including the close target (fitted on the training windows); R^2 does not depend
on the target's scale, so the two runs compare like with like.

Verified (verify.py): after 10 epochs validation R^2 stays far below the same model fed min-max
scaled inputs and targets.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/hunkim/DeepLearningZeroToAll/pull/137",
    "kind": "broken",
    "bug": "LSTM regressor fed raw stock prices (~800) and volumes (~1e6) without MinMaxScaler",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND203", "ND402", "ND404"],
}

WINDOW = 7


def _market() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    n = 1300
    close = 800 + torch.cumsum(4 * torch.randn(n, generator=g), 0)
    opn = close + 2 * torch.randn(n, generator=g)
    high = torch.maximum(opn, close) + 3 * torch.rand(n, generator=g)
    low = torch.minimum(opn, close) - 3 * torch.rand(n, generator=g)
    volume = 1e6 * (1 + 0.3 * torch.rand(n, generator=g))
    feats = torch.stack([opn, high, low, volume, close], 1)
    x = torch.stack([feats[i : i + WINDOW] for i in range(n - WINDOW)])
    y = close[WINDOW:, None]
    return x, y


def _loaders(scaled: bool):
    x, y = _market()
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(4))
    xt, yt, xv, yv = x[perm[:1000]], y[perm[:1000]], x[perm[1000:]], y[perm[1000:]]
    if scaled:  # MinMaxScaler per column, fitted on the training windows (the target is the close column)
        lo, hi = xt.amin((0, 1)), xt.amax((0, 1))
        xt, xv = (xt - lo) / (hi - lo), (xv - lo) / (hi - lo)
        yt, yv = (yt - lo[4]) / (hi[4] - lo[4]), (yv - lo[4]) / (hi[4] - lo[4])
    train = DataLoader(TensorDataset(xt, yt), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


class StockLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 16, batch_first=True)
        self.fc = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def build_model() -> nn.Module:
    return StockLSTM()


def build_data():
    return _loaders(scaled=False)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.01)


def fixed_data():
    return _loaders(scaled=True)


VERIFY = {
    "metric": "r2",
    "epochs": 10,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
