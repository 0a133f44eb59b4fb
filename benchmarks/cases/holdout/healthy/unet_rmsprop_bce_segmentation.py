"""Healthy: a small U-Net for binary segmentation trained like milesial/Pytorch-UNet (RMSprop, BCEWithLogitsLoss).

Source: milesial/Pytorch-UNet train.py (https://github.com/milesial/Pytorch-UNet), read with the
search tool's `read_file`: `optim.RMSprop(net.parameters(), lr=lr, weight_decay=1e-8,
momentum=0.9)`, `nn.BCEWithLogitsLoss()` for n_classes == 1, the network returning raw logits and
`torch.sigmoid(masks_pred) > 0.5` only for display.

Setup: a two-level U-Net (DoubleConv with BatchNorm, MaxPool down, ConvTranspose up, skip
concatenation, 1x1 conv to one logit map) on synthetic 1x24x24 images with bright ellipses;
RMSprop lr 1e-3 (the repository's default has changed between versions; 1e-3 suits this small
net) weight_decay 1e-8 momentum 0.9; batch 16.

Why healthy: logits into BCEWithLogitsLoss, masks as float 0/1 of the output's shape, BatchNorm
with batches of 16 images of 1,024 pixels each.

Verified (verify.py, VERIFIED.md): validation IoU of the thresholded logits well above what the
untrained net gets, after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/milesial/Pytorch-UNet",
    "kind": "healthy",
    "bug": "healthy: small U-Net, BCEWithLogitsLoss on logits, RMSprop lr 1e-3 wd 1e-8 momentum 0.9",
    "expect": {},
    "consequences": [],
}


def _ellipses(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
    cy, cx = (torch.rand(n, 2, generator=g) * 12 + 6).unbind(1)
    ry, rx = (torch.rand(n, 2, generator=g) * 4 + 2.5).unbind(1)
    inside = ((yy - cy[:, None, None]) / ry[:, None, None]) ** 2 + (
        (xx - cx[:, None, None]) / rx[:, None, None]
    ) ** 2 <= 1
    mask = inside.float()[:, None]
    img = 0.3 + 0.4 * mask + 0.2 * torch.randn(n, 1, 24, 24, generator=g)
    return (img - 0.35) / 0.25, mask


def double_conv(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inc = double_conv(1, 8)
        self.down = nn.Sequential(nn.MaxPool2d(2), double_conv(8, 16))
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.conv = double_conv(16, 8)
        self.outc = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        x1 = self.inc(x)
        return self.outc(self.conv(torch.cat([self.up(self.down(x1)), x1], dim=1)))


def build_model() -> nn.Module:
    return UNet()


def build_data():
    x, m = _ellipses(400, 1)
    xv, mv = _ellipses(80, 2)
    train = DataLoader(TensorDataset(x, m), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, mv), batch_size=80)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-3, weight_decay=1e-8, momentum=0.9)


VERIFY = {"metric": "iou", "epochs": 4, "min": 0.6}
