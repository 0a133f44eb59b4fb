"""Broken: a 20-layer tanh MLP initialized with N(0, 0.01^2) weights: the signal vanishes.

Source: "Weight Initialization: The Foundation of Training"
(https://resources.devweekends.com/courses/deep-learning-mastery/28-weight-initialization), found
with the `pages` search: its `demonstrate_initialization_problem()` builds a deep tanh network with
`nn.init.normal_(layer.weight, std=init_std)` and shows activations collapsing for std 0.01.

Bug: with std 0.01 each 128-wide tanh layer scales the signal by about 0.01 * sqrt(128) = 0.11,
so after 20 layers the activations (and the backpropagated gradients) are ~1e-19 of their input
size: the output is the same for every input and no layer gets a usable gradient.

Reproduction: 4-class Gaussian-cluster data in 32 dimensions, a 32-(128 x 20)-4 tanh MLP with
weights N(0, 0.01^2) and zero biases, CrossEntropyLoss, Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy stays at chance while Xavier-initialized
weights (the fix) train.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://resources.devweekends.com/courses/deep-learning-mastery/28-weight-initialization",
    "kind": "broken",
    "bug": "20 tanh layers with N(0, 0.01^2) weights: activations and gradients vanish with depth",
    "expect": {"ND202": "warn", "ND203": "warn", "ND301": "warn"},
    "consequences": ["ND104", "ND402", "ND404", "ND405"],
}


def _clusters(n: int, seed: int):
    centres = torch.randn(4, 32, generator=torch.Generator().manual_seed(8)) * 1.5
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    return centres[y] + torch.randn(n, 32, generator=g), y


def _mlp(std: float | None) -> nn.Module:
    layers, width = [], 32
    for _ in range(20):
        layers += [nn.Linear(width, 128), nn.Tanh()]
        width = 128
    model = nn.Sequential(*layers, nn.Linear(128, 4))
    for m in model.modules():
        if isinstance(m, nn.Linear):
            if std is None:
                nn.init.xavier_uniform_(m.weight, gain=5 / 3)
            else:
                nn.init.normal_(m.weight, std=std)
            nn.init.zeros_(m.bias)
    return model


def build_model() -> nn.Module:
    return _mlp(std=0.01)


def build_data():
    x, y = _clusters(1200, 1)
    xv, yv = _clusters(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return _mlp(std=None)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
