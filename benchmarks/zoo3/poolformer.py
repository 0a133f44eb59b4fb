"""Zoo3: PoolFormer (MetaFormer, Yu et al. 2022) image classifier (Hugging Face transformers), AdamW.

`transformers.PoolFormerForImageClassification` from a `PoolFormerConfig`: four stages of
MetaFormer blocks whose token mixer is 3x3 average pooling minus identity, GroupNorm(1) ("layer
norm" over channels), a 4x MLP with GELU, layer scale 1e-5 and stochastic depth 0.1; overlapping
patch embeddings (7x7 stride 4, then 3x3 stride 2), widths 32-64-128-256, depths 1-1-2-1 (the
S12 layout 2-2-6-2 shortened), mean pooling, final norm and a linear head. Library
initialization; built from a config.

The zoo's 3x32x32 pattern images, 10 classes (`_synthetic.image_loaders`). The MetaFormer
recipe: AdamW, weight decay 0.05, batch 64; lr 1e-3 (the paper's 4e-3 per 4096 images, which
would be far too small at this batch without its long schedule, so the zoo2 ConvNeXt's lr),
cross-entropy.
"""

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import PoolFormerConfig, PoolFormerForImageClassification

NNDOCTOR = {"task": "classification", "num_classes": 10}


def build_model() -> nn.Module:
    config = PoolFormerConfig(
        num_channels=3,
        hidden_sizes=[32, 64, 128, 256],
        depths=[1, 1, 2, 1],
        patch_sizes=[7, 3, 3, 3],
        strides=[4, 2, 2, 2],
        padding=[2, 1, 1, 1],
        pool_size=3,
        mlp_ratio=4.0,
        drop_path_rate=0.1,
        layer_scale_init_value=1e-5,
        num_labels=10,
    )
    return PoolFormerForImageClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=64)


def forward(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return model(pixel_values=x).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)
