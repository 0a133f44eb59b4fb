"""Zoo: ResNet-18 (Hugging Face transformers) with the classic SGD recipe, on synthetic images.

The ResNet-18 topology of `transformers.ResNetForImageClassification`: a 7x7 stride-2 stem with
max-pooling, then four stages of two "basic" residual blocks (two 3x3 Conv-BN-ReLU each), global
average pooling and a linear head. Only the widths are reduced (16-32-64-128 instead of
64-128-256-512) to keep CPU cost low; the depth, the blocks, BatchNorm and the model's own
initialization (Kaiming-normal convolutions) are the stock ones. Built from a config, no download.

Training follows the ImageNet/CIFAR recipe: SGD with momentum 0.9, lr 0.05, weight decay 5e-4,
cross-entropy, batch 64. The data are 3x32x32 images of 10 classes: each class is a fixed smooth
random colour pattern, shown at a random shift (up to 4 pixels) and contrast under pixel noise,
standardized per channel (see `_synthetic.pattern_images`). Stock architecture trained sensibly:
nndoctor must stay quiet.
"""

import torch
from _synthetic import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import ResNetConfig, ResNetForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    config = ResNetConfig(
        num_channels=3,
        embedding_size=16,
        hidden_sizes=[16, 32, 64, 128],
        depths=[2, 2, 2, 2],
        layer_type="basic",
        hidden_act="relu",
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
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4)
