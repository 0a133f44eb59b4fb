"""Zoo: a small U-Net in plain PyTorch for binary segmentation, trained with Adam.

The U-Net shape (Ronneberger et al., 2015) at a small size: an encoder of double 3x3
Conv-BN-ReLU blocks (16, 32, 64 channels) with 2x2 max-pooling between them, a decoder that
upsamples with 2x2 transposed convolutions and concatenates the encoder's feature map of the same
resolution (the skip connections) before each double conv, and a 1x1 conv to one logit per pixel.
Convs before BatchNorm have no bias; PyTorch's default initialization. Input 1x32x32.

The data: one to three filled discs or rectangles on a shaded, noisy background; the target is
the shape mask as float 0/1, [N, 1, 32, 32] like the output (see `_synthetic.shape_masks`).
BCEWithLogitsLoss on the per-pixel logits, Adam lr 1e-3, batch 16. Stock architecture trained
sensibly: nndoctor must stay quiet.
"""

import torch
from _synthetic import shape_masks, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

NNDOCTOR = {"task": "multilabel"}  # one independent binary decision per pixel
FIRES: dict[str, str] = {}


def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, channels: int = 1, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        w1, w2, w3 = widths
        self.enc1 = double_conv(channels, w1)
        self.enc2 = double_conv(w1, w2)
        self.bottom = double_conv(w2, w3)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(w3, w2, 2, stride=2)
        self.dec2 = double_conv(2 * w2, w2)
        self.up1 = nn.ConvTranspose2d(w2, w1, 2, stride=2)
        self.dec1 = double_conv(2 * w1, w1)
        self.out = nn.Conv2d(w1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottom(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.out(d1)


def build_model() -> nn.Module:
    return UNet()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*shape_masks(512, seed=0))
    val = TensorDataset(*shape_masks(128, seed=1))
    return shuffled(train, batch_size=16), DataLoader(val, batch_size=32)


def build_loss() -> nn.Module:
    return nn.BCEWithLogitsLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
