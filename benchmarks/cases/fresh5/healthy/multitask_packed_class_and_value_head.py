"""Healthy: multi-task learning with a shared trunk and two heads, a 3-class classifier and a
regression output, the two losses summed with a fixed weight (CE + 0.5 * MSE). The recipe packs
both heads into one output tensor [N, 3 + 1] and both targets into one float tensor [N, 2]
(class id, value), as detection-style heads do.

Source: "10. Multi-Task Learning" (https://learn-pytorch.oneoffcoder.com/multi-task-learning.html),
found with the `pages` search "multi-task learning two heads classification and regression sum
of losses pytorch": a MultiTaskModel with a backbone, `class_head` and `regression_head`, and
`loss = loss_a + 0.5 * loss_b`.

Setup: 10 standardized features; class = argmax of a nonlinear score, value = another smooth
function; trunk 10-64-64 ReLU, class head 64-3, value head 64-1 concatenated; AdamW lr 3e-3,
batch 64.

Why healthy: two ordinary losses on disjoint output columns; the float target column holding a
class id is decoded with .long() by the loss.

Verified (verify.py): classification accuracy of the class columns on held-out data.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://learn-pytorch.oneoffcoder.com/multi-task-learning.html",
    "kind": "healthy",
    "bug": "healthy: shared trunk, class head + regression head packed in one output, CE + 0.5 * MSE",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(10, 3, generator=torch.Generator().manual_seed(61))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=g)
    cls = (torch.tanh(x @ w) + 0.3 * x[:, :3]).argmax(1).float()
    value = x[:, 3] - 0.5 * x[:, 4] ** 2 + 0.5
    return x, torch.stack([cls, value], 1)


class MultiTask(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.class_head = nn.Linear(64, 3)
        self.value_head = nn.Linear(64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x)
        return torch.cat([self.class_head(h), self.value_head(h)], 1)


class MultiTaskLoss(nn.Module):
    def forward(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        ce = nn.functional.cross_entropy(out[:, :3], y[:, 0].long())
        return ce + 0.5 * nn.functional.mse_loss(out[:, 3], y[:, 1])


def class_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return (out[:, :3].argmax(1) == y[:, 0].long()).float().mean().item()


def build_model() -> nn.Module:
    return MultiTask()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return MultiTaskLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=3e-3)


VERIFY = {"metric": class_accuracy, "epochs": 5, "min": 0.75}
