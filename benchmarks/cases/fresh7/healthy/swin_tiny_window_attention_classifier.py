"""Healthy: a tiny Swin Transformer (SwinForImageClassification built from a SwinConfig, no
download) trained from scratch on small synthetic images with shifted-window attention,
patch merging between stages, LayerNorm, stochastic depth 0.1 and HF's init, AdamW lr 1e-3 with
weight decay 0.05, CrossEntropyLoss on the model's logits.

Source: google-research/nested-transformer issue #3 "About swintransformer ON cifar"
(https://github.com/google-research/nested-transformer/issues/3), found with the `issues` search
"SwinConfig SwinForImageClassification train from scratch small image size window_size": for
Swin on small (CIFAR-size) images the authors used patch size 1-2 and window size 2-4 and report
patch 1 / window 2 worked best; small images need small patches and windows.

Setup: 16x16 single-channel images, 4 classes = which quadrant holds a bright Gaussian blob, plus
pixel noise. SwinConfig(image_size 16, patch_size 2, embed_dim 24, depths [2, 2], heads [2, 4],
window_size 4, drop_path_rate 0.1). Batch 32.

Why healthy: a stock hierarchical vision transformer; dropout-like stochastic depth makes train()
and eval() differ by design, and the relative-position bias tables are parameters that get
gradient only through attention.

Verified (verify.py): validation accuracy far above the 1/4 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import SwinConfig, SwinForImageClassification

CASE = {
    "source": "https://github.com/google-research/nested-transformer/issues/3",
    "kind": "healthy",
    "bug": "healthy: tiny Swin from a config on 16x16 images (patch 2, window 4, drop_path 0.1), AdamW wd 0.05",
    "expect": {},
    "consequences": [],
}

SIZE = 16


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    cy = (y // 2).float() * 8 + 4 + torch.randint(-2, 3, (n,), generator=g).float()
    cx = (y % 2).float() * 8 + 4 + torch.randint(-2, 3, (n,), generator=g).float()
    grid = torch.arange(SIZE).float()
    blob = torch.exp(
        -((grid.view(1, -1, 1) - cy.view(-1, 1, 1)) ** 2 + (grid.view(1, 1, -1) - cx.view(-1, 1, 1)) ** 2) / 6.0
    )
    img = 2.0 * blob + 0.5 * torch.randn(n, SIZE, SIZE, generator=g)
    return ((img - 0.3) / 0.7).unsqueeze(1), y


class TinySwin(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = SwinConfig(
            image_size=SIZE,
            patch_size=2,
            num_channels=1,
            embed_dim=24,
            depths=[2, 2],
            num_heads=[2, 4],
            window_size=4,
            drop_path_rate=0.1,
            num_labels=4,
        )
        self.net = SwinForImageClassification(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(pixel_values=x).logits


def build_model() -> nn.Module:
    return TinySwin()


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.8}
