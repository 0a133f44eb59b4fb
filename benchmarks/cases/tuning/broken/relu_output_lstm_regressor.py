"""Broken: an LSTM peptide-property regressor ends in ReLU; on standardized targets it predicts 0.

Source: GitHub pull request ProteomicsML/ProteomicsML#203, "Do not use ReLU activation for the
final regression layer" (https://github.com/ProteomicsML/ProteomicsML/pull/203), found with the
`issues` search: "I got LSTM network returning constantly 0 for all peptides in validation set.
The reason seems to be using ReLU activation at the final linear layer."

Bug: the targets (retention time / collisional cross section, standardized to mean 0) are
negative for half of the peptides, and a ReLU output cannot go below 0; every output unit whose
pre-activation drifts negative gets zero gradient and the head collapses to predicting 0.

Reproduction: peptides as sequences of 20 amino-acid tokens (length 12) whose target is a sum of
per-residue contributions plus a position effect, standardized; Embedding(20, 16) + LSTM(16, 32,
batch_first) + Linear(32, 1) + ReLU, MSELoss, Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): validation R^2 stays far below the same network without the
final ReLU (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ProteomicsML/ProteomicsML/pull/203",
    "kind": "broken",
    "bug": "ReLU after the final regression layer of an LSTM while the standardized targets are half negative",
    "expect": {"ND108": "warn"},
    "consequences": ["ND201", "ND203", "ND402", "ND405"],
}


class PeptideLSTM(nn.Module):
    def __init__(self, relu: bool) -> None:
        super().__init__()
        self.relu = relu
        self.embed = nn.Embedding(20, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, seq):
        h, _ = self.lstm(self.embed(seq))
        y = self.out(h[:, -1])
        return torch.relu(y) if self.relu else y


def _peptides(n: int, seed: int):
    contrib = torch.randn(20, generator=torch.Generator().manual_seed(19))
    g = torch.Generator().manual_seed(seed)
    seq = torch.randint(0, 20, (n, 12), generator=g)
    y = contrib[seq].sum(1) + 0.5 * contrib[seq[:, 0]] + 0.3 * torch.randn(n, generator=g)
    return seq, ((y - y.mean()) / y.std())[:, None]


def build_model() -> nn.Module:
    return PeptideLSTM(relu=True)


def build_data():
    x, y = _peptides(2000, 1)
    xv, yv = _peptides(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return PeptideLSTM(relu=False)


VERIFY = {"metric": "r2", "epochs": 6, "fix": {"build_model": fixed_model}, "claims": ["worse_than_fix"], "margin": 0.3}
