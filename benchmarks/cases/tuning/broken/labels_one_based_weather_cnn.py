"""Broken: a 4-class weather image classifier gets labels 1..4 for a 4-wide output.

Source: GitHub issue aws/studio-lab-examples#236, "Weather Data Image Classification notebook shows
'IndexError: Target 4 is out of bounds'" (https://github.com/aws/studio-lab-examples/issues/236),
found with the `issues` search: fine-tuning on the four weather classes stops at
`loss = criterion(output, target)` with "Target 4 is out of bounds". (The same off-by-one labels
1..101 for UCF-101 were the cause in VladimirLi/tfVideoResearch#9.)

Bug: CrossEntropyLoss needs class indices 0..C-1. Labels numbered from 1 put the last class at
index C, which has no output: on the CPU the first batch that contains it raises IndexError, on a
GPU it is an opaque device-side assert, and if the output were made C+1 wide, output 0 would be a
class that never occurs.

Reproduction: synthetic 3x32x32 "weather" images of 4 classes (cloudy, rain, shine, sunrise
stand-ins with different colour/texture statistics), labels stored as 1..4, a small CNN
(Conv-ReLU-Pool x2, Linear to 4), CrossEntropyLoss, Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): the plain loop crashes with "IndexError: Target 4 is out of
bounds" in the first epoch; with labels - 1 (the fix) the same CNN learns.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/aws/studio-lab-examples/issues/236",
    "kind": "broken",
    "bug": "class labels numbered 1..4 for a 4-wide CrossEntropyLoss output (IndexError)",
    "expect": {"ND102": "warn"},
    "consequences": ["ND201", "ND204"],
}


def _weather(n: int, seed: int, one_based: bool):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    colour = torch.tensor([[0.6, 0.6, 0.65], [0.3, 0.35, 0.45], [0.9, 0.8, 0.3], [0.9, 0.5, 0.3]])
    texture = torch.tensor([0.1, 0.35, 0.05, 0.15])
    x = colour[y][:, :, None, None] + texture[y][:, None, None, None] * torch.randn(n, 3, 32, 32, generator=g)
    x = x + 0.15 * torch.randn(n, 3, 1, 1, generator=g)
    x = (x - 0.55) / 0.25
    return x, (y + 1 if one_based else y)


def _loaders(one_based: bool):
    x, y = _weather(800, 1, one_based)
    xv, yv = _weather(200, 2, one_based)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 8 * 8, 4),
    )


def build_data():
    return _loaders(one_based=True)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(one_based=False)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["crash", "worse_than_fix"],
    "margin": 0.3,
}
