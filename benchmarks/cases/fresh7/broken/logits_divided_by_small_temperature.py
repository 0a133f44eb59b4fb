"""Broken: the classifier divides its logits by a "temperature" of 0.02 before
CrossEntropyLoss (meant to make the model "more decisive"). The logits start 50x too large, the
initial loss is many times ln(C), the softmax is saturated, and every gradient on the last layer
is amplified 50x: with a learning rate tuned for ordinary logits the run is unstable and ends
far worse than without the division.

Source: chuckyee/cardiac-segmentation issue #5 "logits = Lambda(lambda z: z/temperature)(x)"
(https://github.com/chuckyee/cardiac-segmentation/issues/5), found with the `issues` search
"logits divided by temperature too small initial loss huge training unstable classifier": the
author rescaled the logits with a temperature much less than 1 to force confident outputs, and
says it was not what helped. (A temperature < 1 on training logits is also what CN-DPM#6 warns
makes the gradients explode.)

Reproduction: 20 standardized features, 5 classes from a noisy nonlinear rule; MLP 20-64-64-5
whose forward returns logits / 0.02, CrossEntropyLoss, SGD lr 0.05 momentum 0.9, batch 64. The
fix removes the division (temperature 1).

Verified (verify.py): the fixed model ends well above the broken one on validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/chuckyee/cardiac-segmentation/issues/5",
    "kind": "broken",
    "bug": "classifier logits divided by temperature 0.02 before CrossEntropyLoss: 50x logits, saturated softmax",
    "expect": {"ND201": "warn"},
    "consequences": ["ND403", "ND404", "ND402"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, 5, generator=torch.Generator().manual_seed(23))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    return x, (torch.tanh(x @ w / 2) + 0.3 * torch.randn(n, 5, generator=g)).argmax(1)


class TemperatureMLP(nn.Module):
    def __init__(self, temperature: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
        self.temperature = temperature

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) / self.temperature


def build_model() -> nn.Module:
    return TemperatureMLP(0.02)


def fixed_model() -> nn.Module:
    return TemperatureMLP(1.0)


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
