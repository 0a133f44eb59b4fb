"""Healthy: a batched character-level LSTM name classifier (the "Classifying Names" tutorial, batched).

Source: claravania/lstm-pytorch (https://github.com/claravania/lstm-pytorch), "Classifying Names
with A Character-Level RNN ... Code mostly adapted from:
http://pytorch.org/tutorials/intermediate/char_rnn_classification_tutorial.html", found with the
`docs` search.

Setup: names as padded character-index sequences (27 symbols + padding index 0, length 12) from
4 synthetic "languages" with different character statistics; nn.Embedding(28, 32, padding_idx=0),
nn.LSTM(32, 64, batch_first=True), Linear(64, 4) on the final hidden state;
CrossEntropyLoss; Adam lr 1e-3; batch 32.

Why healthy: the final hidden state h_n[-1] is taken per sample (no reshaping across the batch),
batch_first matches the data layout, logits go into cross-entropy.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance (0.25) after 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/claravania/lstm-pytorch",
    "kind": "healthy",
    "bug": "healthy: batched char-LSTM name classifier (Embedding + LSTM batch_first + Linear, Adam)",
    "expect": {},
    "consequences": [],
}

SYMBOLS, LENGTH, LANGS = 27, 12, 4


def _names(n: int, seed: int):
    trans = torch.rand(LANGS, SYMBOLS, SYMBOLS, generator=torch.Generator().manual_seed(3)) ** 6
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, LANGS, (n,), generator=g)
    lengths = torch.randint(4, LENGTH + 1, (n,), generator=g)
    chars = torch.zeros(n, LENGTH, dtype=torch.long)
    prev = torch.randint(0, SYMBOLS, (n,), generator=g)
    for t in range(LENGTH):
        chars[:, t] = torch.where(t < lengths, prev + 1, 0)
        prev = torch.multinomial(trans[y, prev], 1, generator=g)[:, 0]
    return chars, y


class NameLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(SYMBOLS + 1, 32, padding_idx=0)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.fc = nn.Linear(64, LANGS)

    def forward(self, chars):
        _, (h, _) = self.lstm(self.embed(chars))
        return self.fc(h[-1])


def build_model() -> nn.Module:
    return NameLSTM()


def build_data():
    x, y = _names(3000, 1)
    xv, yv = _names(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.6}
