"""Zoo3: MLP-Mixer (Tolstikhin et al. 2021) image classifier in plain PyTorch, with AdamW.

Mixer at a small size: a 4x4 patch stem (a strided Conv2d, 3 -> 96 channels, 64 tokens for a
32x32 image), 4 Mixer blocks (pre-LayerNorm token-mixing MLP 64 -> 48 -> 64 across patches and
channel-mixing MLP 96 -> 384 -> 96, GELU, both residual), a final LayerNorm, global average
pooling and a linear head. Initialized as the official code does: Xavier-uniform MLP weights
with near-zero (1e-6 normal) biases, a LeCun-normal stem, and a zero-initialized head.

The zoo's 3x32x32 pattern images, 10 classes (`_synthetic.image_loaders`). Mixer's recipe:
Adam(W) betas (0.9, 0.999), weight decay 0.05 (as for DeiT-style training from scratch), batch
64; lr 1e-3, constant (no warm-up, no gradient clipping: the recipe format has neither),
cross-entropy.
"""

import math

import torch
from _data import image_loaders
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

NNDOCTOR = {"task": "classification", "num_classes": 10}


class MLP(nn.Module):
    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, channels: int, token_hidden: int, channel_hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(channels)
        self.token_mlp = MLP(tokens, token_hidden)
        self.norm2 = nn.LayerNorm(channels)
        self.channel_mlp = MLP(channels, channel_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [batch, tokens, channels]
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class Mixer(nn.Module):
    def __init__(self, size: int = 32, patch: int = 4, channels: int = 96, depth: int = 4, classes: int = 10) -> None:
        super().__init__()
        tokens = (size // patch) ** 2
        self.stem = nn.Conv2d(3, channels, patch, stride=patch)
        self.blocks = nn.Sequential(*[MixerBlock(tokens, channels, 48, 4 * channels) for _ in range(depth)])
        self.norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)
        fan_in = 3 * patch * patch
        nn.init.trunc_normal_(self.stem.weight, std=1.0 / math.sqrt(fan_in))
        nn.init.zeros_(self.stem.bias)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


def build_model() -> nn.Module:
    return Mixer()


def build_data() -> tuple[DataLoader, DataLoader]:
    return image_loaders(train=2048, val=512, batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)
