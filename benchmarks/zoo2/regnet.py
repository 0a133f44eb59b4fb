"""Zoo2: a RegNetX (Hugging Face transformers) with the SGD recipe, on synthetic images.

`transformers.RegNetForImageClassification` from a `RegNetConfig`: a 3x3 stride-2 stem, four
stages (depths 1-1-2-2, widths 16-32-64-128) of X blocks (1x1 conv, 3x3 group conv with group
width 8, 1x1 conv, each with BatchNorm, ReLU between, residual add with a projection shortcut
where the shape changes), average pooling and a linear head. The library's initialization
(Kaiming-normal convs). A RegNetX at a small size; built from a config.

Training as in "Designing Network Design Spaces": SGD momentum 0.9, weight decay 5e-5,
cross-entropy, batch 64, lr 0.05 (the paper's 0.1 per 128 images scaled to batch 64, no cosine
schedule here). Data: `_synthetic.pattern_images` (10 classes, 3x32x32).
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import RegNetConfig, RegNetForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = RegNetConfig(
        num_channels=3,
        embedding_size=16,
        hidden_sizes=[16, 32, 64, 128],
        depths=[1, 1, 2, 2],
        groups_width=8,
        layer_type="x",
        hidden_act="relu",
        num_labels=10,
    )
    return RegNetForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=64)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-5)
