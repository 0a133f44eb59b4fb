"""Broken: a small U-Net applies sigmoid to its mask logits and trains with BCEWithLogitsLoss.

Source: GitHub issue avBuffer/UNet3plus_pth#23, "bug: bceloss not decrease"
(https://github.com/avBuffer/UNet3plus_pth/issues/23), found with the `issues` search: the model
returns `F.sigmoid(d1)` while train.py uses BCEWithLogitsLoss, "applying sigmoid twice and the
loss may not decrease".

Bug: BCEWithLogitsLoss applies the sigmoid itself. Fed sigmoid(z) in [0, 1], the effective
probability sigmoid(sigmoid(z)) lies in [0.5, 0.73]: background pixels can never score below
0.5, the loss has a floor of about 0.5 per pixel, and the gradients through the second sigmoid
are small, so segmentation learns slowly.

Reproduction: a two-level U-Net-like encoder/decoder with a skip connection on synthetic 1x24x24
images with one bright disc each (mask = the disc), Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): pixel AUC (unaffected by the extra sigmoid) after 5 epochs is
well below the same net returning logits, and the broken loss never gets near zero.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/avBuffer/UNet3plus_pth/issues/23",
    "kind": "broken",
    "bug": "U-Net returns sigmoid(logits) into nn.BCEWithLogitsLoss (sigmoid applied twice)",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}


def _discs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
    cy, cx = (torch.rand(n, 2, generator=g) * 14 + 5).unbind(1)
    r = torch.rand(n, generator=g) * 3 + 3
    mask = ((yy - cy[:, None, None]) ** 2 + (xx - cx[:, None, None]) ** 2 <= r[:, None, None] ** 2).float()
    img = 0.3 + 0.4 * mask + 0.25 * torch.randn(n, 24, 24, generator=g)
    return img[:, None], mask[:, None]


class TinyUNet(nn.Module):
    def __init__(self, sigmoid_out: bool) -> None:
        super().__init__()
        self.sigmoid_out = sigmoid_out
        self.enc1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))

    def forward(self, x):
        e1 = self.enc1(x)
        d = self.dec(torch.cat([self.up(self.enc2(e1)), e1], dim=1))
        return torch.sigmoid(d) if self.sigmoid_out else d


def build_model() -> nn.Module:
    return TinyUNet(sigmoid_out=True)


def build_data():
    x, m = _discs(1024, seed=1)
    xv, mv = _discs(128, seed=2)
    train = DataLoader(TensorDataset(x, m), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, mv), batch_size=64)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return TinyUNet(sigmoid_out=False)


VERIFY = {
    "metric": "auc",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.05,
}
