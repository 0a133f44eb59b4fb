"""Broken: an init function applies Xavier init and then overwrites the weights with zeros.

Source: the notebook in vishnuas22/Deep-Learning (https://github.com/vishnuas22/Deep-Learning),
found with the `pages` search: its `xavier_init(m)` calls `nn.init.xavier_uniform_(m.weight)` and
then `nn.init.constant_(m.weight, 0)` (the second line meant for the bias), for a 2-4-1 network
with a ReLU hidden layer and a sigmoid output.

Bug: the copy-paste slip zeroes every weight after initializing it (the biases keep PyTorch's
small default values). Every hidden unit then outputs relu(bias), a constant that ignores the
input; the first layer gets exactly zero gradient at the first step and the network stays stuck
at chance for XOR.

Reproduction: the notebook's model (Linear(2, 4), ReLU, Linear(4, 1), sigmoid) with its
`model.apply(xavier_init)`, on 2-d XOR-like data; BCELoss on the sigmoid output, SGD lr 0.5,
batch 32.

Verified (verify.py, VERIFIED.md): validation accuracy stays at chance after 30 epochs, while
`nn.init.constant_(m.bias, 0)` in the second line (the fix) learns XOR.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/vishnuas22/Deep-Learning",
    "kind": "broken",
    "bug": "xavier_uniform_(m.weight) followed by constant_(m.weight, 0): all weights zero",
    "expect": {"ND202": "warn"},
    "consequences": ["ND203", "ND301", "ND302", "ND402", "ND404", "ND405"],
}


class SimpleNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 4)
        self.fc2 = nn.Linear(4, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))


def xavier_init(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.constant_(m.weight, 0)  # BUG: meant m.bias


def fixed_xavier_init(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.constant_(m.bias, 0)


def _xor(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).float()[:, None]
    return x, y


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return SimpleNN().apply(xavier_init)


def build_data():
    x, y = _xor(800, 1)
    xv, yv = _xor(200, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.BCELoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.5)


def fixed_model() -> nn.Module:
    torch.manual_seed(0)
    return SimpleNN().apply(fixed_xavier_init)


VERIFY = {
    "metric": lambda out, y: ((out > 0.5) == (y > 0.5)).float().mean().item(),
    "epochs": 30,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
