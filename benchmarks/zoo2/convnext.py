"""Zoo2: ConvNeXt (Hugging Face transformers) with the AdamW recipe, on synthetic images.

`transformers.ConvNextForImageClassification` from a `ConvNextConfig`: a 4x4 stride-4 "patchify"
stem with LayerNorm, four stages (depths 2-2-2-2, widths 24-48-96-192) of ConvNeXt blocks (7x7
depthwise conv, LayerNorm, 4x inverted-bottleneck MLP with GELU, layer scale initialized to 1e-6,
residual add), LayerNorm-and-stride-2-conv downsampling between stages, global average pooling,
LayerNorm and a linear head. The library's initialization (truncated-normal std 0.02). Only the
widths and depths are reduced from ConvNeXt-T (96-768, 3-3-9-3). Built from a config.

Training as in the ConvNeXt paper, minus the schedule and augmentation a recipe cannot express:
AdamW lr 1e-3 (the paper's 4e-3 is for batch 4096), weight decay 0.05, cross-entropy, batch 64.
Data: `_synthetic.pattern_images` (10 classes, 3x32x32).
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import ConvNextConfig, ConvNextForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = ConvNextConfig(
        num_channels=3,
        patch_size=4,
        hidden_sizes=[24, 48, 96, 192],
        depths=[2, 2, 2, 2],
        hidden_act="gelu",
        layer_scale_init_value=1e-6,
        drop_path_rate=0.0,
        num_labels=10,
    )
    return ConvNextForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=64)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)
