"""Healthy: a tiny Vision Transformer (ViTConfig, no download) trained from scratch with AdamW.

Source: Hugging Face Transformers ViT model documentation
(https://huggingface.co/docs/transformers/model_doc/vit), found with the `docs` search
"ViTConfig ViTForImageClassification image_size patch_size": ViTForImageClassification built from
a ViTConfig returns logits for cross-entropy.

Setup: ViTForImageClassification(ViTConfig(image_size 16, patch_size 4, 1 channel, hidden 32,
2 layers, 2 heads, intermediate 64, 4 labels)), randomly initialized, wrapped so forward returns
the logits tensor; synthetic 4-class 1x16x16 images (class templates + noise, standardized);
CrossEntropyLoss; AdamW lr 1e-3 weight_decay 0.05; batch 32.

Why healthy: pre-LayerNorm transformer with its own init, logits into cross-entropy, the usual
AdamW settings for a small ViT.

Verified (verify.py): validation accuracy well above chance (0.25) after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import ViTConfig, ViTForImageClassification

CASE = {
    "source": "https://huggingface.co/docs/transformers/model_doc/vit",
    "kind": "healthy",
    "bug": "healthy: tiny ViTForImageClassification from ViTConfig, AdamW lr 1e-3 wd 0.05",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(41)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = protos[y] + 0.3 * torch.randn(n, 1, 16, 16, generator=g)
    return (x - 0.5) / 0.35, y


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
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.7}
