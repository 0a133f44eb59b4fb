"""Broken: a small Vision Transformer trained with AdamW at a learning rate far too high.

Source: naver-ai/rope-vit issue #16 "Training Problems: NaN appears in Training, esp at the epoch 5,
and loss decreasing confusion" (https://github.com/naver-ai/rope-vit/issues/16), found with the
`issues` search "ViT training loss nan learning rate too high". The maintainer: "NaN loss might
mean the learning rate setting is too big for this setting ... ViT training like DeiT is very
sensitive to hyper-parameters"; DeiT's lr was near the maximum for LAMB and too big for AdamW.

Bug: AdamW lr 0.05 (50x the usual 1e-3 for a small ViT from scratch): every step moves each
weight by up to ~lr, attention logits blow up and the model collapses to a constant prediction.

Reproduction: transformers' ViTForImageClassification from a ViTConfig (image 16, patch 4,
1 channel, hidden 32, 2 layers, 2 heads, 4 labels; random init), wrapped to return logits;
synthetic 4-class 1x16x16 images; CrossEntropyLoss; AdamW lr 0.05 weight_decay 0.05; batch 32.

Verified (verify.py): after 4 epochs validation accuracy is 0.60 while the same model at lr 1e-3
(the fix) reaches 1.00.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import ViTConfig, ViTForImageClassification

CASE = {
    "source": "https://github.com/naver-ai/rope-vit/issues/16",
    "kind": "broken",
    "bug": "tiny ViT (transformers ViTConfig) trained from scratch with AdamW lr 0.05 (50x the usual 1e-3)",
    "expect": {"ND403": "warn", "ND404": "warn"},
    "consequences": ["ND204", "ND303", "ND402"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(61)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    return (protos[y] + 0.3 * torch.randn(n, 1, 16, 16, generator=g) - 0.5) / 0.35, y


class TinyViT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = ViTConfig(
            image_size=16,
            patch_size=4,
            num_channels=1,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            num_labels=4,
        )
        self.vit = ViTForImageClassification(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.vit(pixel_values=x).logits


def build_model() -> nn.Module:
    return TinyViT()


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=0.05, weight_decay=0.05)


def fixed_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
