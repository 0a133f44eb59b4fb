"""Broken: the encoder's features are .detach()ed before the task head: the encoder never trains.

Source: jason718/game-feature-learning issue #3 "Detach synthetic data for both D and B/H
updating" (https://github.com/jason718/game-feature-learning/issues/3), found with the `issues`
search "features detached in forward backbone weights not updating .detach() bug". The reporter:
"you detach the synthetic feature during updating the B and H. If you do so, then network B will
not be able to learn ... because the weights won't be able to be backproped to B"; the author
confirmed and fixed it.

Bug: `feat = self.encoder(x).detach()` cuts the graph: the encoder's parameters are in the
optimizer but never get a gradient, so only the linear head on random features learns.

Reproduction: synthetic 10-class 1x16x16 images (class templates + noise); a conv encoder
(two conv + ReLU + max-pool blocks, then Linear to 32 features + ReLU) whose output is detached
in forward, Linear head; CrossEntropyLoss; Adam lr 1e-3; batch 64.

Verified (verify.py): every encoder parameter is unchanged after training and validation
accuracy after 3 epochs stays below the same model without .detach() (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/jason718/game-feature-learning/issues/3",
    "kind": "broken",
    "bug": "encoder output .detach()ed in forward before the head: encoder parameters get no gradient",
    "expect": {"ND302": "warn"},
    "consequences": ["ND402", "ND405"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.randn(10, 1, 4, 4, generator=torch.Generator().manual_seed(71)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return protos[y] + 1.0 * torch.randn(n, 1, 16, 16, generator=g), y


class EncoderHead(nn.Module):
    def __init__(self, detach: bool) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 4 * 4, 32),
            nn.ReLU(),
        )
        self.head = nn.Linear(32, 10)
        self.detach = detach

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.encoder(x)
        return self.head(feat.detach() if self.detach else feat)


def build_model() -> nn.Module:
    return EncoderHead(detach=True)


def build_data():
    x, y = _images(3000, 1)
    xv, yv = _images(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return EncoderHead(detach=False)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["frozen:encoder", "worse_than_fix"],
    "margin": 0.1,
}
