"""Broken: a small CNN trained with torch.optim.RMSprop at its default lr=0.01, ten times the
1e-3 that Keras' RMSprop defaults to and that such CNNs are tuned for; training diverges.

Source: keras-team/keras pull request #6182 "fix rmsprop learning rate for convergence"
(https://github.com/keras-team/keras/pull/6182), found with the `issues` search "RMSprop lr 0.01
loss diverges accuracy drops to chance": "the loss will decrease at the begining and start
increasing after few epochs due to too large learning rate. Solution to this is decreasing the
learning rate with rmsprop". In PyTorch the trap is larger: RMSprop's default lr is 1e-2, not the
1e-3 of Keras and of most recipes that are ported.

Bug: RMSprop normalizes every gradient coordinate by its running RMS, so each weight moves by
about lr per step whatever the gradient's size; at 0.01 that is about 10% of a typical conv
weight (std ~0.1) per step, and with alpha 0.99 the first steps are even larger: the loss jumps
up, ReLU units die, and the net settles near chance.

Reproduction: 1x16x16 synthetic images of 4 classes (an oriented bar: horizontal, vertical and
the two diagonals, at a random offset, plus noise), standardized; a cut-down version of the Keras cifar10_cnn
model (Conv 32-32, pool, Conv 64, pool, Dense 256, Dense 4, ReLU, no dropout); CrossEntropyLoss; RMSprop() with the default lr;
batch 32. The PR's example is Keras' cifar10_cnn on CIFAR-10; the data here are synthetic and smaller.
(A smaller 2-conv CNN trained fine at lr 0.01 on these data, so the cifar10_cnn shape is kept.)

Verified (verify.py): after 4 epochs validation accuracy is far below the same CNN with RMSprop
lr 1e-3 (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/keras-team/keras/pull/6182",
    "kind": "broken",
    "bug": "small CNN trained with torch.optim.RMSprop at its default lr 0.01 (10x Keras' 1e-3)",
    "expect": {"ND403": "warn"},
    "consequences": ["ND303", "ND402", "ND404", "ND406"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    img = 0.5 * torch.randn(n, 16, 16, generator=g)
    off = torch.randint(-4, 5, (n,), generator=g)
    idx = torch.arange(16)
    for i in range(n):
        k, o = int(y[i]), int(off[i])
        if k == 0:
            img[i, 8 + o, :] += 2.0
        elif k == 1:
            img[i, :, 8 + o] += 2.0
        elif k == 2:
            img[i, idx, (idx + o) % 16] += 2.0
        else:
            img[i, idx, (15 - idx + o) % 16] += 2.0
    img = (img - img.mean()) / img.std()
    return img[:, None], y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 4),
    )  # fmt: skip


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.RMSprop(params)


def fixed_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
