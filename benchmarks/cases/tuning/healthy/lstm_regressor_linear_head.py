"""Healthy: the LSTM peptide regressor after the fix: a plain Linear output on standardized targets.

Source: GitHub pull request ProteomicsML/ProteomicsML#203, "Do not use ReLU activation for the
final regression layer" (https://github.com/ProteomicsML/ProteomicsML/pull/203), found with the
`issues` search: the tutorial's LSTM with the final ReLU removed.

Setup: peptides as sequences of 20 amino-acid tokens (length 12), a target made of per-residue
contributions plus a position effect, standardized; Embedding(20, 16) + LSTM(16, 32,
batch_first=True) + Linear(32, 1) on the last step; MSELoss; Adam lr 1e-3; batch 32.

Why healthy: an unconstrained linear output for a real-valued, zero-mean target; MSE on matching
[N, 1] shapes; standardized targets.

Verified (verify.py, VERIFIED.md): validation R^2 well above 0.5 after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ProteomicsML/ProteomicsML/pull/203",
    "kind": "healthy",
    "bug": "healthy: LSTM regressor with a linear output on standardized targets (the PR's fix)",
    "expect": {},
    "consequences": [],
}


class PeptideLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, seq):
        h, _ = self.lstm(self.embed(seq))
        return self.out(h[:, -1])


def _peptides(n: int, seed: int):
    contrib = torch.randn(20, generator=torch.Generator().manual_seed(19))
    g = torch.Generator().manual_seed(seed)
    seq = torch.randint(0, 20, (n, 12), generator=g)
    y = contrib[seq].sum(1) + 0.5 * contrib[seq[:, 0]] + 0.3 * torch.randn(n, generator=g)
    return seq, ((y - y.mean()) / y.std())[:, None]


def build_model() -> nn.Module:
    return PeptideLSTM()


def build_data():
    x, y = _peptides(2000, 1)
    xv, yv = _peptides(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 6, "min": 0.5}
