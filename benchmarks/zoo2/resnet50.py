"""Zoo2: ResNet-50 topology (bottleneck blocks, Hugging Face transformers) with SGD, on images.

`transformers.ResNetForImageClassification` with `layer_type="bottleneck"` and ResNet-50's depths
3-4-6-3: a 7x7 stride-2 stem with max-pooling, 16 bottleneck blocks (1x1 reduce, 3x3, 1x1 expand
by 4, BatchNorm and ReLU, projection shortcuts at stage changes), global average pooling and a
linear head. Only the widths are reduced (stage outputs 64-128-256-512 instead of 256-2048,
bottlenecks 16-128, stem 16). The library's initialization (Kaiming-normal convs). From a config.

Training: the ImageNet ResNet-50 recipe (Goyal et al.): SGD momentum 0.9, lr 0.1 per 256 images
(0.025 at batch 64), weight decay 1e-4, cross-entropy. Data: `_synthetic.pattern_images`.
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import ResNetConfig, ResNetForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = ResNetConfig(
        num_channels=3,
        embedding_size=16,
        hidden_sizes=[64, 128, 256, 512],
        depths=[3, 4, 6, 3],
        layer_type="bottleneck",
        hidden_act="relu",
        downsample_in_bottleneck=False,
        num_labels=10,
    )
    return ResNetForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=64)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.025, momentum=0.9, weight_decay=1e-4)
