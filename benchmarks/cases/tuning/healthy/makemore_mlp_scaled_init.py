"""Healthy: the makemore character MLP with the lesson's fixed initialization.

Source: Karpathy's "makemore part 3" lesson as written up in "Road to Generative AI - Part 3: A
deep dive into model initialization" (https://tdody.github.io//deep_dive_into_model_initialization),
found with the `pages` search: the output layer scaled down ("Initial Loss Fix": W2 * 0.01,
b2 * 0) and the hidden layer scaled by the Kaiming gain for tanh, (5/3) / sqrt(fan_in), so the
initial loss is near -log(1/27) and the tanh units are not saturated.

Setup: 27-symbol "names" from a fixed random trigram model, context of 3 characters, embedding
10-d, hidden 200 tanh, 27 outputs, all parameters from torch.randn with those scales;
CrossEntropyLoss; SGD lr 0.1; batch 32.

Why healthy: logits start small (initial loss ~ ln 27 = 3.3), hidden pre-activations have std
~1.7 at most (tanh in its useful range), a standard SGD step size for this model.

Verified (verify.py, VERIFIED.md): in two epochs the validation loss falls below its initial
ln(27) level and next-character accuracy rises from chance (1/27) to at least 0.1.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://tdody.github.io//deep_dive_into_model_initialization",
    "kind": "healthy",
    "bug": "healthy: makemore char MLP with scaled init (W1 * (5/3)/sqrt(30), W2 * 0.01)",
    "expect": {},
    "consequences": [],
}

VOCAB, BLOCK, EMBED, HIDDEN = 27, 3, 10, 200


class CharMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(2147483647)
        self.C = nn.Parameter(torch.randn(VOCAB, EMBED, generator=g))
        self.W1 = nn.Parameter(torch.randn(BLOCK * EMBED, HIDDEN, generator=g) * (5 / 3) / (BLOCK * EMBED) ** 0.5)
        self.b1 = nn.Parameter(torch.randn(HIDDEN, generator=g) * 0.01)
        self.W2 = nn.Parameter(torch.randn(HIDDEN, VOCAB, generator=g) * 0.01)
        self.b2 = nn.Parameter(torch.randn(VOCAB, generator=g) * 0)

    def forward(self, ctx):
        h = torch.tanh(self.C[ctx].view(len(ctx), -1) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2


def _names(n_chars: int, seed: int):
    table = torch.rand(VOCAB, VOCAB, VOCAB, generator=torch.Generator().manual_seed(11)) ** 12
    g = torch.Generator().manual_seed(seed)
    seq = [0, 0]
    for _ in range(n_chars):
        seq.append(int(torch.multinomial(table[seq[-2], seq[-1]], 1, generator=g)))
    windows = torch.tensor(seq).unfold(0, BLOCK + 1, 1)
    return windows[:, :BLOCK], windows[:, BLOCK]


def build_model() -> nn.Module:
    return CharMLP()


def build_data():
    x, y = _names(20000, 1)
    xv, yv = _names(3000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1000)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


VERIFY = {"metric": "accuracy", "epochs": 2, "min": 0.1}
