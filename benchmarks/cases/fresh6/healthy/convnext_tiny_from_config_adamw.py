"""Healthy: a tiny ConvNeXt (ConvNextModel built from a ConvNextConfig, no download) trained from
scratch on small images with the recipe's own linear head on the pooled features,
CrossEntropyLoss and AdamW (lr 1e-3, weight decay 0.05, the ConvNeXt paper's optimizer family).

Source: huggingface/transformers pull request #15277 "Add ConvNeXT"
(https://github.com/huggingface/transformers/pull/15277), found with the `issues` search
"ConvNextConfig ConvNextForImageClassification train from scratch": the port of ConvNeXt
(patchify stem, depthwise 7x7 convs, LayerNorm instead of BatchNorm, inverted-bottleneck MLPs,
layer-scale parameters initialized at 1e-6).

Setup: 3 x 32 x 32 images of 4 classes (an oriented stripe pattern per class, random phase,
Gaussian noise, standardized); ConvNextConfig(num_channels 3, patch_size 4, hidden_sizes
[16, 32], depths [1, 1], num_stages 2, layer_scale_init_value 1e-6, drop_path_rate 0), pooled
output -> Linear(32, 4). AdamW lr 1e-3, weight_decay 0.05, batch 32.

Why healthy: layer scale 1e-6 makes every block's residual branch contribute almost nothing at
initialization (tiny gradients to the branch weights, a near-identity network), which is
ConvNeXt by design; LayerNorm over channels in a conv net also looks unusual.

Verified (verify.py): validation accuracy far above chance (1/4).
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import ConvNextConfig, ConvNextModel

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/15277",
    "kind": "healthy",
    "bug": "healthy: tiny ConvNeXt from a config (layer scale 1e-6, LayerNorm), own CE head, AdamW wd 0.05",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    angle = y.float() * math.pi / 4
    r = torch.arange(32).float()
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    phase = 2 * math.pi * torch.rand(n, generator=g)
    proj = torch.cos(angle)[:, None, None] * xx + torch.sin(angle)[:, None, None] * yy
    stripes = torch.sin(0.8 * proj + phase[:, None, None])
    x = stripes.unsqueeze(1).repeat(1, 3, 1, 1) + 1.0 * torch.randn(n, 3, 32, 32, generator=g)
    return (x - x.mean()) / x.std(), y


class TinyConvNext(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = ConvNextConfig(
            num_channels=3,
            patch_size=4,
            num_stages=2,
            hidden_sizes=[16, 32],
            depths=[1, 1],
            layer_scale_init_value=1e-6,
            drop_path_rate=0.0,
        )
        self.body = ConvNextModel(cfg)
        self.head = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(pixel_values=x).pooler_output)


def build_model() -> nn.Module:
    return TinyConvNext()


def build_data():
    x, y = _rows(2000, 1)
    xv, yv = _rows(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.6}
