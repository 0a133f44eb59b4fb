"""Healthy: PyTorchZeroToAll's 2-layer GRU name-to-country classifier.

Source: hunkim/PyTorchZeroToAll 13_2_rnn_classification.py (fork at
https://github.com/DonghoonPark12/PyTorchZeroToAll/blob/master/13_2_rnn_classification.py;
"Original code is from https://github.com/spro/practical-pytorch"), found with the `docs` search.

Setup (as in the script): HIDDEN_SIZE 100, N_LAYERS 2, characters embedded (Embedding(input,
hidden)), nn.GRU(hidden, hidden, n_layers) fed sequence-first (the script transposes the batch
with t() before the embedding), Linear(hidden, n_countries) on the last layer's final hidden
state, CrossEntropyLoss, Adam lr 0.001; batch 64 here (256 in the script) for the small data.
Data: synthetic names (ASCII codes) from 6 "countries".

Why healthy: the sequence-first layout is consistent (input transposed to [T, B], GRU without
batch_first), the hidden state is indexed per sample, logits into cross-entropy.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance (1/6) after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/DonghoonPark12/PyTorchZeroToAll/blob/master/13_2_rnn_classification.py",
    "kind": "healthy",
    "bug": "healthy: PyTorchZeroToAll 2-layer GRU classifier (sequence-first, Adam lr 1e-3)",
    "expect": {},
    "consequences": [],
}

COUNTRIES, LENGTH = 6, 10


def _names(n: int, seed: int):
    trans = torch.rand(COUNTRIES, 26, 26, generator=torch.Generator().manual_seed(4)) ** 6
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, COUNTRIES, (n,), generator=g)
    chars = torch.zeros(n, LENGTH, dtype=torch.long)
    prev = torch.randint(0, 26, (n,), generator=g)
    for t in range(LENGTH):
        chars[:, t] = prev + 97  # ASCII lower case, as the script's str2ascii_arr
        prev = torch.multinomial(trans[y, prev], 1, generator=g)[:, 0]
    return chars, y


class RNNClassifier(nn.Module):
    def __init__(self, input_size: int = 128, hidden_size: int = 100, output_size: int = COUNTRIES, n_layers: int = 2):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, n_layers)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, chars):
        embedded = self.embedding(chars.t())  # [T, B, H]: sequence first, as the script does
        _, hidden = self.gru(embedded)
        return self.fc(hidden[-1])


def build_model() -> nn.Module:
    return RNNClassifier()


def build_data():
    x, y = _names(3000, 1)
    xv, yv = _names(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.001)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.5}
