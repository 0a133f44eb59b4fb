"""Zoo: a ViT-Tiny-width Vision Transformer (Hugging Face transformers) with AdamW, on synthetic images.

`transformers.ViTForImageClassification` from a `ViTConfig` with ViT-Tiny's width: hidden size
192, 3 heads, MLP 768, GELU, pre-LayerNorm blocks, a [CLS] token and learned position
embeddings, and the library's standard initialization (truncated/normal std 0.02, the
`initializer_range` default). Only the depth is reduced (4 blocks instead of 12), and the input
is 3x32x32 in 8x8 patches (16 patch tokens + [CLS]). The classifier reads the final [CLS] token
(this head has no pooler). Built from a config, no download.

Training follows the DeiT/ViT-from-scratch style: AdamW lr 1e-3, weight decay 0.05, betas
(0.9, 0.999), batch 16, cross-entropy. The data: 10 classes of smooth colour patterns under
noise (see `_synthetic.py`). Stock architecture trained sensibly: nndoctor must stay quiet.
"""

import torch
from _synthetic import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import ViTConfig, ViTForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    config = ViTConfig(
        image_size=32,
        patch_size=8,
        num_channels=3,
        hidden_size=192,
        num_hidden_layers=4,
        num_attention_heads=3,
        intermediate_size=768,
        initializer_range=0.02,
        num_labels=10,
    )
    return ViTForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=1024, val=512, batch_size=16)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05)
