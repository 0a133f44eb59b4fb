"""Healthy: a small MobileNetV2ForImageClassification built offline from a MobileNetV2Config,
trained from scratch with Adam lr 2e-3, batch 32.

Source: Transformers documentation, MobileNet V2
(https://huggingface.co/docs/transformers/model_doc/mobilenet_v2), found with the `docs` search
"MobileNetV2Config depth_multiplier image_size MobileNetV2ForImageClassification" (the tiny test
configs it returned use image_size 32 and depth_multiplier 0.25).

Setup: MobileNetV2Config(num_channels=1, image_size=32, depth_multiplier=0.35, num_labels=4),
random init, no download, wrapped so forward returns the logits; synthetic 1x32x32 images of 4
classes (an oriented bar at a random offset plus noise, standardized); CrossEntropyLoss; Adam lr
2e-3; batch 32 with drop_last (the BatchNorm layers never see a batch of one). SGD lr 0.05
momentum 0.9 (the ImageNet-style recipe) barely moved in 3 epochs on these 1600 images and lr 0.1
diverged, so Adam is used.

Why healthy: a stock architecture at its own init with BatchNorm and inverted residuals, logits
into CrossEntropyLoss, standardized inputs, batches of 32.

Verified (verify.py): validation accuracy well above chance after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

CASE = {
    "source": "https://huggingface.co/docs/transformers/model_doc/mobilenet_v2",
    "kind": "healthy",
    "bug": "healthy: tiny MobileNetV2ForImageClassification from config (random init), Adam lr 2e-3, batch 32",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    img = 0.5 * torch.randn(n, 32, 32, generator=g)
    off = torch.randint(-8, 9, (n,), generator=g)
    idx = torch.arange(32)
    for i in range(n):
        k, o = int(y[i]), int(off[i])
        if k == 0:
            img[i, 16 + o, :] += 3.0
        elif k == 1:
            img[i, :, 16 + o] += 3.0
        elif k == 2:
            img[i, idx, (idx + o) % 32] += 3.0
        else:
            img[i, idx, (31 - idx + o) % 32] += 3.0
    img = (img - img.mean()) / img.std()
    return img[:, None], y


class MobileNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = MobileNetV2Config(num_channels=1, image_size=32, depth_multiplier=0.35, num_labels=4)
        self.net = MobileNetV2ForImageClassification(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(pixel_values=x).logits


def build_model() -> nn.Module:
    return MobileNet()


def build_data():
    x, y = _images(1600, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(
        TensorDataset(x, y), batch_size=32, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=2e-3)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.7}
