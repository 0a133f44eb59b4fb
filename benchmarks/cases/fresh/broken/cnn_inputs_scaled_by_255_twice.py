"""Broken: images already scaled to [0, 1] are divided by 255 again before a CNN.

Source: facebookresearch/InterHand2.6M issue #110 "Why divide the input image by 255 after the
process of transforms.ToTensor?" (https://github.com/facebookresearch/InterHand2.6M/issues/110),
found with the `issues` search "images divided by 255 twice ToTensor already scales". The
reporter: "This process takes the pixel value to a very small value between 0 and 1/255."

Bug: ToTensor already maps pixels to [0, 1]; the extra /255 leaves inputs in [0, 0.004], so the
first layer's pre-activations are ~250x too small and an SGD-trained CNN barely moves.

Reproduction: synthetic 10-class 1x16x16 "digit" images (smooth class templates + noise) in
[0, 1], then divided by 255 as in the report; a small CNN (two 3x3 conv + ReLU + max-pool blocks,
Linear head), CrossEntropyLoss, SGD lr 0.05 momentum 0.9, batch 64.

Verified (verify.py): after 3 epochs validation accuracy stays far below the same CNN fed the
[0, 1] images (the fix: no second division).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/facebookresearch/InterHand2.6M/issues/110",
    "kind": "broken",
    "bug": "images already in [0, 1] divided by 255 again (inputs in [0, 0.004]) before an SGD-trained CNN",
    "expect": {"ND101": "warn"},
    "consequences": ["ND301", "ND303", "ND402", "ND403", "ND404"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 4, 4, generator=torch.Generator().manual_seed(11)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (protos[y] + 0.3 * torch.randn(n, 1, 16, 16, generator=g)).clamp(0, 1), y


def _loaders(scale: float):
    x, y = _images(3000, 1)
    xv, yv = _images(600, 2)
    train = DataLoader(
        TensorDataset(x * scale, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(xv * scale, yv), batch_size=300)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def build_data():
    return _loaders(1 / 255)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


def fixed_data():
    return _loaders(1.0)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
