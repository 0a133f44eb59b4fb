"""Broken: binary labels kept as int64 (LongTensor, straight from the integer label column) and
fed to nn.BCEWithLogitsLoss, which needs floating-point targets. PyTorch raises "RuntimeError:
result type Float can't be cast to the desired output type Long" at the first loss; nothing
trains.

Source: PacktPublishing/Mastering-PyTorch issue #4 "Code error on chapter 4"
(https://github.com/PacktPublishing/Mastering-PyTorch/issues/4), found with the `issues` search
"BCEWithLogitsLoss result type Float can't be cast to the desired output type Long": the book's
sentiment RNN (rnn.py) stops with exactly this error; the answer reproduces it with
`target.long()` and fixes it with `sentiment.float()`.

Reproduction: a small sentiment-style sequence classifier: vocabulary 40, sequences of 20 tokens,
label 1 when "positive" marker tokens outnumber "negative" ones; Embedding(40, 16) + GRU(16, 32,
batch_first) + Linear(32, 1) on the last hidden state, BCEWithLogitsLoss, Adam lr 3e-3, batch 32.
The labels are a [N, 1] int64 tensor. The fix stores them as float32.

Verified (verify.py): training raises the RuntimeError; the float labels train to a good accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/PacktPublishing/Mastering-PyTorch/issues/4",
    "kind": "broken",
    "bug": "int64 0/1 targets into BCEWithLogitsLoss: RuntimeError, result type Float can't be cast to Long",
    "expect": {"ND102": "warn", "ND103": "warn"},
    "consequences": [],
}

VOCAB, LENGTH = 40, 20


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, VOCAB, (n, LENGTH), generator=g)
    for token in (1, 2):  # 1 = positive marker, 2 = negative marker
        for _ in range(3):
            pos = torch.randint(0, LENGTH, (n,), generator=g)
            put = torch.rand(n, generator=g) < 0.5
            ids[put, pos[put]] = token
    y = ((ids == 1).sum(1) + 0.1 > (ids == 2).sum(1)).long().unsqueeze(1)
    return ids, y


class SentimentGRU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.rnn = nn.GRU(16, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(self.embed(ids))
        return self.head(h[-1])


def _loaders(as_float: bool):
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    if as_float:
        y, yv = y.float(), yv.float()
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_model() -> nn.Module:
    return SentimentGRU()


def build_data():
    return _loaders(as_float=False)


def fixed_data():
    return _loaders(as_float=True)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 4,
    "fix": {"build_data": fixed_data},
    "claims": ["crash", "worse_than_fix"],
    "margin": 0.2,
}
