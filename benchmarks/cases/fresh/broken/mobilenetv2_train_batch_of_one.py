"""Broken: a MobileNetV2 image classifier trained with batch size 1.

Source: pytorch/vision issue #5955 "mobilenet_v2 module forward panic when batch is one"
(https://github.com/pytorch/vision/issues/5955), found with the `issues` search "Expected more
than 1 value per channel when training batch size 1 MobileNetV2". A 32x32 input reaches the last
1x1 conv's BatchNorm as [1, C, 1, 1] and training raises "ValueError: Expected more than 1 value
per channel when training".

Bug: in train mode BatchNorm normalizes each channel over the batch and spatial positions; with
one sample and a 1x1 feature map there is a single value per channel, no variance, and PyTorch
refuses (at slightly larger maps the statistics are merely degenerate).

Reproduction: transformers' MobileNetV2ForImageClassification from a MobileNetV2Config
(1 channel, image_size 32, depth_multiplier 0.35, 4 labels; random init, no download), wrapped so
forward returns the logits; synthetic 4-class 1x32x32 images; CrossEntropyLoss; SGD lr 0.01
momentum 0.9; DataLoader batch_size=1 as in the report.

Verified (verify.py): training raises the ValueError at the first step.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

CASE = {
    "source": "https://github.com/pytorch/vision/issues/5955",
    "kind": "broken",
    "bug": "MobileNetV2 (transformers, 32x32 inputs) trained with batch size 1: BatchNorm gets 1 value per channel",
    "expect": {"ND105": "warn"},
    "consequences": [],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(51)), size=32, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    return (protos[y] + 0.3 * torch.randn(n, 1, 32, 32, generator=g) - 0.5) / 0.35, y


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
    x, y = _images(256, 1)
    xv, yv = _images(128, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=1, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=64)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


VERIFY = {"metric": "accuracy", "epochs": 1, "claims": ["crash"]}
