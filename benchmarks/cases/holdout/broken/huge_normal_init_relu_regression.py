"""Broken: a deep ReLU regression MLP initialized with N(0, 1) weights blows up under SGD.

Source: the notebook in Pavan-Kumar-Z/GEN-AI (https://github.com/Pavan-Kumar-Z/GEN-AI), found with
the `pages` search: a `DeepNet` (1-128-128-128-1, ReLU) whose `_initialize_weights(init_scale)`
draws every weight from `nn.init.normal_(std=init_scale)` and is trained with SGD lr 0.003 on
y = 3x + noise; the notebook contrasts init_scale=1.0 with smaller scales and batch norm.

Bug: std 1 is ~11x the He scale sqrt(2/128) for 128-wide layers, so each layer multiplies the
activations by ~8: the output starts ~500x too large, the squared-error gradients are enormous,
and the first SGD steps overshoot until the loss is inf/NaN.

Reproduction: the notebook's model, init (normal std 1.0, zero biases), data (x ~ N(0, 1),
y = 3x + N(0, 1)), MSELoss and SGD lr 0.003, with mini-batches of 64 instead of full batch.

Verified (verify.py, VERIFIED.md): the loss becomes non-finite (or R^2 stays hugely negative),
while PyTorch's default init (the fix) fits the line.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Pavan-Kumar-Z/GEN-AI",
    "kind": "broken",
    "bug": "ReLU MLP weights drawn from N(0, 1) (about 11x the He scale): activations explode",
    "expect": {"ND202": "warn", "ND203": "warn"},
    "consequences": ["ND201", "ND204", "ND301", "ND303", "ND403", "ND404"],
}


class DeepNet(nn.Module):
    def __init__(self, init_scale: float | None) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3, self.fc4 = (
            nn.Linear(1, 128),
            nn.Linear(128, 128),
            nn.Linear(128, 128),
            nn.Linear(128, 1),
        )
        if init_scale is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, mean=0.0, std=init_scale)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.relu(self.fc3(x))
        return self.fc4(x)


def _line(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, generator=g)
    return x, 3 * x + torch.randn(n, 1, generator=g)


def build_model() -> nn.Module:
    return DeepNet(init_scale=1.0)


def build_data():
    x, y = _line(1000, 1)
    xv, yv = _line(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.003)


def fixed_model() -> nn.Module:
    return DeepNet(init_scale=None)


VERIFY = {
    "metric": "r2",
    "epochs": 10,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.5,
}
