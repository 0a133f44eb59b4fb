"""Zoo2: EfficientNet-B0 topology (Hugging Face transformers) with TF-style RMSprop, on images.

`transformers.EfficientNetForImageClassification` from an `EfficientNetConfig`: the B0 layout
(depth coefficient 1.0: a 3x3 stride-2 stem, 16 MBConv blocks in 7 stages with 3x3/5x5 depthwise
convs, expansion 6, squeeze-and-excitation with sigmoid gates, swish activations, BatchNorm,
stochastic depth 0.2), a 1x1 head conv, average pooling, dropout 0.2 and a linear head. Only the
width is reduced (width coefficient 0.25, head conv 320 channels instead of 1280); the library's
BatchNorm settings are kept. Built from a config.

The weights are then initialized as the EfficientNet authors' code does (and timm): convs normal
with std sqrt(2 / fan_out) and zero bias, BatchNorm weight 1 and bias 0, the head uniform within
1/sqrt(out_features). The library's own `_init_weights` draws every Conv2d, Linear *and
BatchNorm weight* from normal(0, 0.02); it is meant to be overwritten by pretrained weights. From
scratch, each BatchNorm then scales its output by about 0.02: the activation std is 0.0087 after
the stem and 8e-34 after the last stage, the logits are constant and the loss stays at ln 10 =
2.3026 for 300 steps (measured with this recipe's data before the re-initialization).

Training as in the EfficientNet paper: RMSprop with decay 0.9, momentum 0.9 and TensorFlow's
epsilon 1e-3, weight decay 1e-5, cross-entropy, batch 32, lr 1e-3 (the paper's 0.016 is for
batch 2048 with warm-up). Data: `_synthetic.pattern_images` (10 classes, 3x32x32).
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import EfficientNetConfig, EfficientNetForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = EfficientNetConfig(
        num_channels=3,
        image_size=32,
        width_coefficient=0.25,
        depth_coefficient=1.0,
        hidden_dim=320,
        dropout_rate=0.2,
        drop_connect_rate=0.2,
        num_labels=10,
    )
    model = EfficientNetForImageClassification(config)
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            k_h, k_w = module.kernel_size
            fan_out = k_h * k_w * module.out_channels // module.groups
            nn.init.normal_(module.weight, 0.0, (2.0 / fan_out) ** 0.5)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            bound = 1.0 / module.out_features**0.5
            nn.init.uniform_(module.weight, -bound, bound)
            nn.init.zeros_(module.bias)
    return model


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=32)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, momentum=0.9, eps=1e-3, weight_decay=1e-5)
