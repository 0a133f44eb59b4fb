"""Broken: an MNIST-style ReLU MLP trained with Adam at lr 0.05: healthy at init, dead after a few steps.

Source: PyTorch forums, "Cross Entropy loss is not decreasing"
(https://discuss.pytorch.org/t/cross-entropy-loss-is-not-decreasing/43814/16), found with the
`pages` search: the answer explains the stuck loss of 2.30: after training "the parameters ...
are almost all negative, and their derivatives are all zero" (dead ReLUs), and recommends "Use a
smaller learning rate in the optimizer".

Bug: the network is fine at initialization (live units, sane initial loss). The first Adam steps
at lr 0.05 move each weight by ~0.05, about the size of the weights themselves; within a few
steps the hidden pre-activations are pushed negative for every input, the ReLUs stop passing
gradient and the loss freezes near ln(10) = 2.30.

Reproduction: synthetic 10-class 28x28 digit-like images, a 784-256-128-10 ReLU MLP, default
init, CrossEntropyLoss, Adam lr 0.05, batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy ends near chance, while Adam lr 1e-3 (the
fix) learns the task.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/cross-entropy-loss-is-not-decreasing/43814/16",
    "kind": "broken",
    "bug": "Adam lr 0.05 on a ReLU MLP: units die within the first steps (healthy at init)",
    "expect": {"ND406": "warn", "ND403": "warn", "ND404": "warn"},
    "consequences": ["ND303", "ND402", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.flatten(1), y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.05)


def fixed_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.4,
}
