"""Broken: a character CNN builds its stacked conv layers as `(n - 1) * [nn.Conv1d(...)]`.

Source: GitHub issue mikeizbicki/cmc-csci181-deeplearning#7, "optimizer got an empty parameter
list" (https://github.com/mikeizbicki/cmc-csci181-deeplearning/issues/7), found with the `issues`
search: a names-classification CNN with `self.cnns = (args.num_layers-1)*[nn.Conv1d(...)]`.

Bug: `k * [module]` is a plain list holding the same module object k times. It is not registered,
so its weights are neither trained nor seen by the optimizer (once the student's `_init_` typo is
fixed, the error disappears but the bug stays), and even if registered all layers would share one
set of weights. The stacked convs stay random; only the first conv and the classifier learn.

Reproduction: names as one-hot character sequences (27 symbols, length 12) from 4 synthetic
"languages" with different character statistics, a Conv1d(27, 64, 3) + 2 x Conv1d(64, 64, 3) in
`2 * [...]` + Linear classifier, CrossEntropyLoss, Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy stays below the same CNN with an
nn.ModuleList of distinct conv layers (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/mikeizbicki/cmc-csci181-deeplearning/issues/7",
    "kind": "broken",
    "bug": "stacked Conv1d layers created as `k * [nn.Conv1d(...)]`: one unregistered module repeated",
    "expect": {"ND107": "warn"},
    "consequences": ["ND402", "ND405"],
}

SYMBOLS, LENGTH, LANGS = 27, 12, 4


class NameCNN(nn.Module):
    def __init__(self, fixed: bool) -> None:
        super().__init__()
        self.cnn = nn.Conv1d(SYMBOLS, 64, 3, padding=1)
        if fixed:
            self.cnns = nn.ModuleList([nn.Conv1d(64, 64, 3, padding=1) for _ in range(2)])
        else:
            self.cnns = 2 * [nn.Conv1d(64, 64, 3, padding=1)]
        self.fc = nn.Linear(64 * LENGTH, LANGS)

    def forward(self, x):
        out = torch.relu(self.cnn(x))
        for cnn in self.cnns:
            out = torch.relu(cnn(out))
        return self.fc(out.flatten(1))


def _names(n: int, seed: int):
    trans = torch.rand(LANGS, SYMBOLS, SYMBOLS, generator=torch.Generator().manual_seed(3)) ** 6
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, LANGS, (n,), generator=g)
    chars = torch.zeros(n, LENGTH, dtype=torch.long)
    chars[:, 0] = torch.randint(0, SYMBOLS, (n,), generator=g)
    for t in range(1, LENGTH):
        chars[:, t] = torch.multinomial(trans[y, chars[:, t - 1]], 1, generator=g)[:, 0]
    return nn.functional.one_hot(chars, SYMBOLS).float().transpose(1, 2).contiguous(), y


def build_model() -> nn.Module:
    return NameCNN(fixed=False)


def build_data():
    x, y = _names(3000, 1)
    xv, yv = _names(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=600)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return NameCNN(fixed=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
