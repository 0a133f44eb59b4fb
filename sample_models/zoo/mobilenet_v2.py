"""Zoo: MobileNetV2 (Hugging Face transformers) with the paper's RMSprop, on synthetic images.

`transformers.MobileNetV2ForImageClassification` as configured by `MobileNetV2Config`: the stem
conv, 17 inverted-residual blocks (1x1 expansion by 6, 3x3 depthwise conv, linear 1x1 bottleneck,
ReLU6, BatchNorm after every conv, residual connections where shapes match), the 1x1 conv to 1280
channels, global average pooling, dropout and a linear head. The width is reduced with
depth_multiplier 0.35 (a published MobileNetV2 size) and the input is 3x32x32, so the output
stride of 32 leaves a 1x1 map before pooling. The model's own initialization is kept (every conv
weight N(0, 0.02) with a BatchNorm after it). Built from a config, no download.

Training follows the paper (Sandler et al., 2018) in kind: RMSprop with decay (alpha) 0.9,
momentum 0.9 and weight decay 4e-5, batch 32, cross-entropy. The reference models were trained in
TensorFlow, whose RMSprop adds epsilon inside the square root and whose slim training script
defaults to epsilon 1.0, which damps the first steps while RMSprop's square average is still near
zero; PyTorch adds eps outside the root, so eps=1e-3 plays that role here. The learning rate, 3e-4,
comes from a short sweep on this data (1e-3 makes the loss bounce for the first few hundred
steps at this batch size; see sample_models/zoo/README.md). The classifier dropout is set to 0.2,
the original model's rate: TensorFlow slim's MobileNet training scope keeps 80% of the units
(dropout_keep_prob=0.8), while the transformers config default classifier_dropout_prob=0.8 goes
to nn.Dropout as the probability of dropping them. The data: 10 classes of smooth colour
patterns under noise (see `_synthetic.py`). Stock architecture trained sensibly: nndoctor must
stay quiet.
"""

import torch
from _synthetic import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    config = MobileNetV2Config(
        num_channels=3, image_size=32, depth_multiplier=0.35, classifier_dropout_prob=0.2, num_labels=10
    )
    return MobileNetV2ForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=1024, val=512, batch_size=32)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=3e-4, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=4e-5)
