"""Healthy: mixup training of a small CNN: each training batch is blended with a shuffled copy
of itself (lambda ~ Beta(0.4, 0.4)) and the one-hot targets are blended the same way; the soft
[N, C] targets go to nn.CrossEntropyLoss (which accepts class probabilities).

Source: huggingface/pytorch-image-models issue #46 "About Mixup on CIFAR"
(https://github.com/huggingface/pytorch-image-models/issues/46), found with the `issues` search
"mixup training soft targets cross entropy lam permutation pytorch implementation": timm mixes
the labels first, `y = lam * ya + (1-lam) * yb; loss = loss_fn(pred, y)`, with a soft-target
criterion, which the maintainer and the asker confirm equals the official
`lam * loss(pred, ya) + (1 - lam) * loss(pred, yb)`.

Setup: 1x16x16 synthetic images of 5 stroke-pattern classes with noise; CNN conv(1->16)-ReLU-
pool-conv(16->32)-ReLU-global-pool-Linear(32, 5); the recipe's forward mixes only in train mode
(model.training) and always returns one-hot float targets; Adam lr 2e-3, batch 64.

Why healthy: the training targets are probability vectors, not one-hot, so the training loss
never approaches zero and a training-batch "accuracy" on mixed images is meaningless; in eval
mode the images and targets are unmixed.

Verified (verify.py): validation accuracy far above chance (0.2).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/huggingface/pytorch-image-models/issues/46",
    "kind": "healthy",
    "bug": "healthy: small CNN trained with mixup (Beta(0.4, 0.4)) and soft targets into nn.CrossEntropyLoss",
    "expect": {},
    "consequences": [],
}

CLASSES = 5


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = 0.6 * torch.randn(n, 1, 16, 16, generator=g)
    eye = torch.eye(16)
    pattern = torch.zeros(CLASSES, 16, 16)
    pattern[0, 6:10, :] = 1.0
    pattern[1, :, 6:10] = 1.0
    pattern[2] = eye + eye.roll(1, 1)
    pattern[3] = eye.flip(1) + eye.flip(1).roll(1, 1)
    pattern[4, 3:13, 3:13] = 0.5
    shift = torch.randint(-2, 3, (n, 2), generator=g)
    for i in range(n):
        x[i, 0] += pattern[y[i]].roll((int(shift[i, 0]), int(shift[i, 1])), (0, 1))
    return x, y


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.fc = nn.Linear(32, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def build_model() -> nn.Module:
    return SmallCNN()


def build_data():
    x, y = _images(3000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=250)


def forward(model, batch):
    x, y = batch
    target = nn.functional.one_hot(y, CLASSES).float()
    if model.training:
        lam = float(torch.distributions.Beta(0.4, 0.4).sample())
        perm = torch.randperm(x.shape[0])
        x = lam * x + (1 - lam) * x[perm]
        target = lam * target + (1 - lam) * target[perm]
    return model(x), target


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=2e-3)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.8}
