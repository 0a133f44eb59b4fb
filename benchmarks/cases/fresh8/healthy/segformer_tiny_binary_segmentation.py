"""Healthy: a tiny SegFormer (SegformerForSemanticSegmentation built from a SegformerConfig, no
download) trained from scratch for binary segmentation. SegFormer's all-MLP decoder predicts at
1/4 of the input resolution; as in the original code, the logits are upsampled bilinearly to
the label size before the loss.

Source: NVlabs/SegFormer issue #20 "Porting SegFormer to HuggingFace Transformers"
(https://github.com/NVlabs/SegFormer/issues/20), found with the `issues` search
"SegformerForSemanticSegmentation train from scratch config logits upsample labels": while
porting the model, NielsRogge notes that "when calculating the loss, the logits need to be
upsampled again" to the segmentation map's [h, w].

Setup: 1x32x32 synthetic images with one or two bright discs (radius 4-8) on noise; the mask is
the discs. SegformerConfig(1 channel, 2 encoder blocks, depths [1, 1], hidden sizes [16, 32],
heads [1, 2], sr ratios [2, 1], decoder 32, 1 label); logits upsampled to 32x32 with
F.interpolate(bilinear), BCEWithLogitsLoss on the float mask. AdamW lr 2e-3, batch 16.

Why healthy: a stock efficient segmentation transformer with its own init (0.02, LayerNorm,
overlapping patch embeddings) and the documented upsampling; a heuristic may find the low
resolution head or the 0.02 init odd, but it learns the discs.

Verified (verify.py): validation IoU well above the start.
"""

import torch
import torch.nn.functional as F  # noqa: N812 - the universal alias
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import SegformerConfig, SegformerForSemanticSegmentation

CASE = {
    "source": "https://github.com/NVlabs/SegFormer/issues/20",
    "kind": "healthy",
    "bug": "healthy: tiny SegformerForSemanticSegmentation from a config, 1/4-res logits upsampled, BCEWithLogitsLoss",
    "expect": {},
    "consequences": [],
}


def _discs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    masks = torch.zeros(n, 1, 32, 32)
    for i in range(n):
        for _ in range(int(torch.randint(1, 3, (1,), generator=g))):
            cy, cx = (torch.rand(2, generator=g) * 20 + 6).tolist()
            r = float(torch.randint(4, 9, (1,), generator=g))
            masks[i, 0][(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1.0
    x = masks * 1.5 + 0.6 * torch.randn(n, 1, 32, 32, generator=g)
    return (x - x.mean()) / x.std(), masks


class TinySegformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = SegformerConfig(
            num_channels=1,
            num_encoder_blocks=2,
            depths=[1, 1],
            sr_ratios=[2, 1],
            hidden_sizes=[16, 32],
            patch_sizes=[7, 3],
            strides=[4, 2],
            num_attention_heads=[1, 2],
            mlp_ratios=[2, 2],
            decoder_hidden_size=32,
            num_labels=1,
        )
        self.seg = SegformerForSemanticSegmentation(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.seg(pixel_values=x).logits
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


def build_model() -> nn.Module:
    return TinySegformer()


def build_data():
    x, y = _discs(480, 1)
    xv, yv = _discs(160, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=80)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=2e-3, weight_decay=0.01)


VERIFY = {"metric": "iou", "epochs": 5, "min": 0.6}
