"""Broken: a U-Net segmenter trained with CrossEntropyLoss on masks stored as 0/255 grey values.

Source: GitHub issue milesial/Pytorch-UNet#291, "IndexError: Target 192 is out of bounds"
(https://github.com/milesial/Pytorch-UNet/issues/291), found with the `issues` search; the
maintainer: "check that your masks are loaded with class indices and not with raw greyscale
value. Greyscale values are from 0 to 255 while class indices are from 0 to n_classes-1".

Bug: the mask PNG's pixel values (0 for background, 255 for the object) are used directly as
class indices for a 2-class CrossEntropyLoss. Index 255 has no output channel: the loss raises
IndexError on the CPU (a device-side assert on the GPU).

Reproduction: synthetic 1x32x32 images with a bright rectangle, masks 0/255 as long, a tiny
U-Net-like encoder/decoder with 2 output channels, CrossEntropyLoss, RMSprop lr 1e-3 (the repo's
optimizer), batch 16.

Verified (verify.py, VERIFIED.md): the plain loop crashes on the first batch with "Target 255 is
out of bounds"; with mask // 255 (the fix) the same net segments the rectangles.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/milesial/Pytorch-UNet/issues/291",
    "kind": "broken",
    "bug": "segmentation masks with grey values 0/255 used as class indices for a 2-class CrossEntropyLoss",
    "expect": {"ND102": "warn"},
    "consequences": ["ND201", "ND204"],
}


def _rects(n: int, seed: int, grey: bool):
    g = torch.Generator().manual_seed(seed)
    top, left = torch.randint(2, 16, (n,), generator=g), torch.randint(2, 16, (n,), generator=g)
    h, w = torch.randint(6, 14, (n,), generator=g), torch.randint(6, 14, (n,), generator=g)
    r = torch.arange(32)
    rows = (r[None] >= top[:, None]) & (r[None] < (top + h)[:, None])
    cols = (r[None] >= left[:, None]) & (r[None] < (left + w)[:, None])
    mask = (rows[:, :, None] & cols[:, None, :]).long()
    img = (0.2 + 0.5 * mask + 0.2 * torch.randn(n, 32, 32, generator=g))[:, None]
    return (img - 0.35) / 0.3, mask * (255 if grey else 1)


class TinyUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        return self.out(torch.cat([self.up(self.enc2(e1)), e1], dim=1))


def _loaders(grey: bool):
    x, m = _rects(256, 1, grey)
    xv, mv = _rects(64, 2, grey)
    train = DataLoader(TensorDataset(x, m), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, mv), batch_size=64)


def build_model() -> nn.Module:
    return TinyUNet()


def build_data():
    return _loaders(grey=True)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3)


def fixed_data():
    return _loaders(grey=False)


VERIFY = {"metric": "accuracy", "epochs": 3, "fix": {"build_data": fixed_data}, "claims": ["crash"]}
