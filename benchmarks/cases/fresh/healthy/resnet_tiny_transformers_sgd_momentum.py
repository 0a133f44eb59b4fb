"""Healthy: a tiny ResNet (transformers ResNetConfig, no download) trained with SGD momentum, BN, batch 32.

Source: Hugging Face Transformers ResNet model documentation
(https://huggingface.co/docs/transformers/model_doc/resnet), found with the `docs` search
"ResNetConfig ResNetForImageClassification depths hidden_sizes layer_type basic".

Setup: ResNetForImageClassification(ResNetConfig(1 channel, embedding 16, hidden sizes
[16, 32], depths [1, 1], basic blocks, 4 labels)), randomly initialized (Kaiming + BatchNorm),
wrapped to return logits; synthetic 4-class 1x32x32 images (class templates + noise,
standardized); CrossEntropyLoss; SGD lr 0.05 momentum 0.9 weight_decay 5e-4; batch 32.

Why healthy: residual blocks with BatchNorm at batch 32 (enough samples per channel), logits
into cross-entropy, the classic SGD recipe.

Verified (verify.py): validation accuracy well above chance (0.25) after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import ResNetConfig, ResNetForImageClassification

CASE = {
    "source": "https://huggingface.co/docs/transformers/model_doc/resnet",
    "kind": "healthy",
    "bug": "healthy: tiny ResNetForImageClassification (BN, basic blocks), SGD lr 0.05 momentum 0.9 wd 5e-4, batch 32",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(81)), size=32, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    return (protos[y] + 0.4 * torch.randn(n, 1, 32, 32, generator=g) - 0.5) / 0.45, y


class TinyResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = ResNetConfig(
            num_channels=1, embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic", num_labels=4
        )
        self.net = ResNetForImageClassification(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(pixel_values=x).logits


def build_model() -> nn.Module:
    return TinyResNet()


def build_data():
    x, y = _images(1600, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.7}
