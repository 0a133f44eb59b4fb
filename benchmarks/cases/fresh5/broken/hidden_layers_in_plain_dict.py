"""Broken: the hidden layers are kept in a plain Python dict (`self.blocks = {...}`) instead of
an nn.ModuleDict. A dict attribute is not registered, so its Linear layers are not in
model.parameters(): the optimizer only trains the registered output head, on top of frozen
random hidden features.

Source: "深入理解 PyTorch nn.ModuleDict: 原理、常见错误与替代方案" (runebook.dev,
https://runebook.dev/zh/docs/pytorch/generated/torch.nn.moduledict/torch.nn.ModuleDict), found
with the `pages` search "layers stored in python dict not registered use nn.ModuleDict
parameters not trained": ModuleDict exists so that the sub-modules are registered with the
parent (`.parameters()`, `.to()`, `.train()`); modules in an ordinary dict are not, and their
parameters are never updated by the optimizer.

Bug: only `head` (64 -> 4) is registered; `blocks["h1"]` (20 -> 64) and `blocks["h2"]` (64 -> 64)
keep their random initial weights for the whole run. The model is a random-features classifier.

Reproduction: 20 standardized features, 4 classes from a nonlinear rule; forward h1 -> ReLU ->
h2 -> ReLU -> head; CrossEntropyLoss, Adam lr 1e-3, batch 64. The fix wraps the dict in
nn.ModuleDict.

Verified (verify.py): the registered version reaches a much higher validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://runebook.dev/zh/docs/pytorch/generated/torch.nn.moduledict/torch.nn.ModuleDict",
    "kind": "broken",
    "bug": "hidden Linear layers kept in a plain dict (not nn.ModuleDict): unregistered, never trained",
    "expect": {"ND107": "warn"},
    "consequences": ["ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, 4, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    return x, (torch.tanh(x @ w) + 0.4 * x[:, :4] ** 2).argmax(1)


class DictMLP(nn.Module):
    def __init__(self, registered: bool = False) -> None:
        super().__init__()
        blocks = {"h1": nn.Linear(20, 64), "h2": nn.Linear(64, 64)}
        self.blocks = nn.ModuleDict(blocks) if registered else blocks
        self.head = nn.Linear(64, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.blocks["h1"](x))
        h = torch.relu(self.blocks["h2"](h))
        return self.head(h)


def build_model() -> nn.Module:
    return DictMLP()


def fixed_model() -> nn.Module:
    return DictMLP(registered=True)


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
