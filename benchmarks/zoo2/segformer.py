"""Zoo2: a small SegFormer (Hugging Face transformers) for binary segmentation, trained with AdamW.

`transformers.SegformerForSemanticSegmentation` from a `SegformerConfig`: the Mix Transformer
encoder (4 stages of overlapping patch embeddings with strides 4-2-2-2, widths 16-32-64-128, one
block each with efficient self-attention whose keys/values are reduced by 8-4-2-1, Mix-FFN with a
3x3 depthwise conv and GELU, LayerNorm) and the all-MLP decode head (per-stage linear projection
to 64, upsampling to 1/4 resolution, concatenation, 1x1 fusion conv with BatchNorm and ReLU, a
1x1 classifier). One output channel for foreground. SegFormer-B0's design at a quarter of its
widths, depth 1 a stage; the library's initialization. Built from a config.

Data: the zoo's noisy shapes (`_synthetic.shape_masks`), 1x32x32. `forward` upsamples the 8x8
logits bilinearly to 32x32 (as SegFormer does before its loss); BCEWithLogits. SegFormer's
optimizer AdamW with weight decay 0.01 and batch 16, but lr 1e-3 (the paper's 6e-5 fine-tunes
an ImageNet-pretrained encoder; this one starts from scratch).
"""

import torch
from _data import shape_masks, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset
from transformers import SegformerConfig, SegformerForSemanticSegmentation

NNDOCTOR = {"task": "multilabel"}  # one independent binary decision per pixel


def build_model() -> nn.Module:
    config = SegformerConfig(
        num_channels=1,
        num_encoder_blocks=4,
        depths=[1, 1, 1, 1],
        sr_ratios=[8, 4, 2, 1],
        hidden_sizes=[16, 32, 64, 128],
        patch_sizes=[7, 3, 3, 3],
        strides=[4, 2, 2, 2],
        num_attention_heads=[1, 2, 4, 8],
        mlp_ratios=[4, 4, 4, 4],
        decoder_hidden_size=64,
        drop_path_rate=0.1,
        num_labels=1,
    )
    return SegformerForSemanticSegmentation(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*shape_masks(512, seed=40))
    val = TensorDataset(*shape_masks(128, seed=41))
    return shuffled(train, batch_size=16), DataLoader(val, batch_size=32)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    x, mask = batch
    logits = model(pixel_values=x).logits
    logits = nn.functional.interpolate(logits, size=mask.shape[-2:], mode="bilinear", align_corners=False)
    return logits, mask


def build_loss() -> nn.Module:
    return nn.BCEWithLogitsLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
