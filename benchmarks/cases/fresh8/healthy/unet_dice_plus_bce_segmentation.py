"""Healthy: a small U-Net trained for binary segmentation with the combined loss of
Pytorch-UNet's train.py: BCEWithLogitsLoss on the logits plus a soft Dice loss on their sigmoid.
The Dice term counters the foreground/background imbalance (here ~12% foreground).

Source: "Pytorch-UNet损失函数详解: BCEWithLogitsLoss vs DiceLoss" (CSDN blog,
https://blog.youkuaiyun.com/gitblog_00913/article/details/151377138), found with the `pages` search
"U-Net dice loss plus BCE combined loss segmentation pytorch": it walks through Pytorch-UNet's
train.py, where for one class `loss = criterion(masks_pred.squeeze(1), true_masks.float())`
followed by `loss += dice_loss(F.sigmoid(masks_pred.squeeze(1)), true_masks.float(), ...)`.

Setup: 1x32x32 images with 1-3 small bright squares (side 3-7) on noise; the mask marks the
squares. U-Net with two down/up levels (16-32-64 channels, Conv-BN-ReLU x2 per level, skip
concatenations, ConvTranspose2d upsampling), one logit per pixel. Loss = BCEWithLogits + (1 -
soft Dice with smoothing 1) over the batch. RMSprop was the repository's optimizer; here Adam
lr 1e-3, batch 16.

Why healthy: the standard U-Net recipe with a composite loss whose value does not start at
ln 2 (it is BCE ~0.7 plus a Dice term near 0.8), which a heuristic expecting a chance-level
start might question.

Verified (verify.py): validation IoU well above the start.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://blog.youkuaiyun.com/gitblog_00913/article/details/151377138",
    "kind": "healthy",
    "bug": "healthy: small BN U-Net, BCEWithLogitsLoss + soft Dice (Pytorch-UNet's combined loss), Adam",
    "expect": {},
    "consequences": [],
}


def _squares(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    masks = torch.zeros(n, 1, 32, 32)
    for i in range(n):
        for _ in range(int(torch.randint(1, 4, (1,), generator=g))):
            s = int(torch.randint(3, 8, (1,), generator=g))
            r, c = torch.randint(0, 32 - s, (2,), generator=g).tolist()
            masks[i, 0, r : r + s, c : c + s] = 1.0
    x = 1.2 * masks + 0.5 * torch.randn(n, 1, 32, 32, generator=g)
    return (x - x.mean()) / x.std(), masks


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


class SmallUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1, self.enc2, self.bottom = _block(1, 16), _block(16, 32), _block(32, 64)
        self.pool = nn.MaxPool2d(2)
        self.up2, self.dec2 = nn.ConvTranspose2d(64, 32, 2, stride=2), _block(64, 32)
        self.up1, self.dec1 = nn.ConvTranspose2d(32, 16, 2, stride=2), _block(32, 16)
        self.out = nn.Conv2d(16, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottom(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.out(d1)


class DiceBCELoss(nn.Module):
    def __init__(self, smooth: float = 1.0) -> None:
        super().__init__()
        self.bce = nn.BCEWithLogitsLoss()
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(logits).reshape(-1)
        t = target.reshape(-1)
        dice = (2 * (p * t).sum() + self.smooth) / (p.sum() + t.sum() + self.smooth)
        return self.bce(logits, target) + (1 - dice)


def build_model() -> nn.Module:
    return SmallUNet()


def build_data():
    x, y = _squares(400, 1)
    xv, yv = _squares(120, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=60)


def build_loss():
    return DiceBCELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "iou", "epochs": 4, "min": 0.6}
