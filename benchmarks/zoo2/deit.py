"""Zoo2: a small DeiT (Hugging Face transformers) with the DeiT AdamW recipe, on synthetic images.

`transformers.DeiTForImageClassification` from a `DeiTConfig`: 4x4 patches of the 32x32 image (64
tokens) plus [CLS] and distillation tokens and learned position embeddings, 4 pre-LayerNorm
encoder blocks (hidden 128, 4 heads, MLP 512, GELU), a final LayerNorm and a linear head on
[CLS]. The library's initialization (truncated-normal std 0.02). DeiT's architecture at a small
size; trained without a teacher (the distillation token is present but unused). From a config.

Training as in the DeiT paper minus schedule and augmentation: AdamW lr 1e-3 (5e-4 per 512
images would be far too small at batch 32 for 300 steps), weight decay 0.05, cross-entropy,
batch 32. Data: `_synthetic.pattern_images` (10 classes, 3x32x32).
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import DeiTConfig, DeiTForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = DeiTConfig(
        image_size=32,
        patch_size=4,
        num_channels=3,
        hidden_size=128,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=512,
        num_labels=10,
    )
    return DeiTForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=32)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)
