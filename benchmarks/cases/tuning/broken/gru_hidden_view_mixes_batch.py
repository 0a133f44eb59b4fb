"""Broken: a bidirectional GRU encoder reshapes its final hidden state with .view(batch, -1).

Source: GitHub issue timbmg/Sentence-VAE#15, "Confusion about the batch in model.py (I think batch
should be the second dimension.)" (https://github.com/timbmg/Sentence-VAE/issues/15), found with
the `issues` search: the GRU's hidden state is [num_layers * num_directions, batch, hidden], and
`hidden.view(batch_size, hidden_size * hidden_factor)` interleaves different sentences ("the two
dimensions are mixed up"), as the example with `t.view(3, 4 * 2)` in the thread shows.

Bug: view() on the [2, B, H] tensor does not move the batch to the front; it reinterprets the
memory, so row i of the result holds the forward or backward states of sentences 2i and 2i+1.
Each prediction is built from other sentences' encodings; the labels no longer match.

Reproduction: token sequences (vocabulary 40, length 12) of 3 classes marked by class-specific
tokens, an Embedding(40, 16) + bidirectional GRU(16, 32, batch_first=True) encoder whose
h_n.view(B, -1) feeds a Linear(64, 3) classifier, CrossEntropyLoss, Adam lr 3e-3, batch 32.

Verified (verify.py, VERIFIED.md): a sentence's output changes when the other sentences of its
batch change, and validation accuracy stays far below the same model with
h_n.transpose(0, 1).reshape(B, -1) (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/timbmg/Sentence-VAE/issues/15",
    "kind": "broken",
    "bug": "GRU h_n [2, B, H] reshaped with .view(B, -1): sentences of the batch are mixed",
    "expect": {"ND304": "warn"},
    "consequences": ["ND402", "ND405"],
}


class Encoder(nn.Module):
    def __init__(self, fixed: bool) -> None:
        super().__init__()
        self.fixed = fixed
        self.embed = nn.Embedding(40, 16)
        self.gru = nn.GRU(16, 32, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(64, 3)

    def forward(self, tokens):
        _, hidden = self.gru(self.embed(tokens))  # hidden: [2, B, 32]
        b = tokens.shape[0]
        h = hidden.transpose(0, 1).reshape(b, -1) if self.fixed else hidden.view(b, -1)
        return self.fc(h)


def _sentences(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    tokens = torch.randint(6, 40, (n, 12), generator=g)
    pos = torch.randint(0, 12, (n, 2), generator=g)
    marks = y[:, None] * 2 + torch.randint(0, 2, (n, 2), generator=g)
    tokens.scatter_(1, pos, marks)
    return tokens, y


def build_model() -> nn.Module:
    return Encoder(fixed=False)


def build_data():
    x, y = _sentences(2000, 1)
    xv, yv = _sentences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=32)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


def fixed_model() -> nn.Module:
    return Encoder(fixed=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.2,
}
