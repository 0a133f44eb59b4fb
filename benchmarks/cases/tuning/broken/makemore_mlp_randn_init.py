"""Broken: a character-level MLP language model with torch.randn weights (saturated tanh, huge logits).

Source: Karpathy's "makemore part 3" lesson as written up in "Activations and Initialization Deep
Dive" (https://aiml-notes.pages.dev/tutorials/18---Activations-and-Initialization-Deep-Dive), found
with the `pages` search: `W1 = torch.randn(block_size * n_embed, n_hidden) * 1.0  # too large`
(and a randn output layer) give a "hockey stick" loss curve starting far above -log(1/27) and
tanh units stuck at +-1.

Bug: unit-variance weights into a 30-input tanh layer give pre-activations of std ~5, so most tanh
units sit at +-1 (zero gradient), and randn output weights give logits of std ~10: the initial
loss is ~8x the uniform-guess loss ln(27) = 3.3 and the first epochs are spent undoing the init.

Reproduction: 27-symbol "names" from a fixed random trigram model, context of 3 characters,
embedding 10-d, hidden 200 tanh, output 27; all parameters torch.randn as in the lesson;
CrossEntropyLoss, SGD lr 0.1, batch 32.

Verified (verify.py, VERIFIED.md): after one epoch the validation cross-entropy is far worse than
the same model with the lesson's fix (W1 scaled by (5/3)/sqrt(30), small output layer).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://aiml-notes.pages.dev/tutorials/18---Activations-and-Initialization-Deep-Dive",
    "kind": "broken",
    "bug": "torch.randn (std 1) weights: saturated tanh hidden layer and huge initial logits",
    "expect": {"ND201": "warn", "ND202": "warn", "ND203": "warn"},
    "consequences": ["ND301", "ND404"],
}

VOCAB, BLOCK, EMBED, HIDDEN = 27, 3, 10, 200


class CharMLP(nn.Module):
    def __init__(self, fixed: bool) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(2147483647)
        self.C = nn.Parameter(torch.randn(VOCAB, EMBED, generator=g))
        w1_scale = (5 / 3) / (BLOCK * EMBED) ** 0.5 if fixed else 1.0
        self.W1 = nn.Parameter(torch.randn(BLOCK * EMBED, HIDDEN, generator=g) * w1_scale)
        self.b1 = nn.Parameter(torch.randn(HIDDEN, generator=g) * (0.01 if fixed else 1.0))
        self.W2 = nn.Parameter(torch.randn(HIDDEN, VOCAB, generator=g) * (0.01 if fixed else 1.0))
        self.b2 = nn.Parameter(torch.randn(VOCAB, generator=g) * (0.0 if fixed else 1.0))

    def forward(self, ctx):
        h = torch.tanh(self.C[ctx].view(len(ctx), -1) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2


def _names(n_chars: int, seed: int):
    table = torch.rand(VOCAB, VOCAB, VOCAB, generator=torch.Generator().manual_seed(11)) ** 12
    g = torch.Generator().manual_seed(seed)
    seq = [0, 0]
    for _ in range(n_chars):
        seq.append(int(torch.multinomial(table[seq[-2], seq[-1]], 1, generator=g)))
    seq = torch.tensor(seq)
    windows = seq.unfold(0, BLOCK + 1, 1)
    return windows[:, :BLOCK], windows[:, BLOCK]


def build_model() -> nn.Module:
    return CharMLP(fixed=False)


def build_data():
    x, y = _names(20000, 1)
    xv, yv = _names(3000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1000)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def fixed_model() -> nn.Module:
    return CharMLP(fixed=True)


def neg_cross_entropy(out: torch.Tensor, y: torch.Tensor) -> float:
    return -nn.functional.cross_entropy(out, y).item()


VERIFY = {
    "metric": neg_cross_entropy,
    "epochs": 1,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
