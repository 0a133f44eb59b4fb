"""Zoo2: a small Swin Transformer (Hugging Face transformers) with AdamW, on synthetic images.

`transformers.SwinForImageClassification` from a `SwinConfig`: 2x2 patch embedding of the 32x32
image (16x16 tokens) with LayerNorm, three stages (depths 2-2-2, 2-4-8 heads, embed dim 32
doubling per stage) of pre-LayerNorm blocks with windowed self-attention (window 4, alternate
blocks shifted by 2, relative position bias) and a 4x MLP with GELU, patch merging between
stages, a final LayerNorm, average pooling and a linear head. The library's initialization
(normal std 0.02). Swin-T's design at a small size; built from a config.

Training as in the Swin paper without its schedule and augmentation: AdamW lr 1e-3, weight decay
0.05, cross-entropy, batch 32. Data: `_synthetic.pattern_images` (10 classes, 3x32x32).
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import SwinConfig, SwinForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = SwinConfig(
        image_size=32,
        patch_size=2,
        num_channels=3,
        embed_dim=32,
        depths=[2, 2, 2],
        num_heads=[2, 4, 8],
        window_size=4,
        mlp_ratio=4.0,
        drop_path_rate=0.1,
        num_labels=10,
    )
    return SwinForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=32)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)
