"""Broken: a ReLU MLP initialized with standard-normal weights, so activations explode.

Seven Linear layers (64 -> 6 x 128 -> 10) with weights drawn from N(0, 1). Kaiming init for ReLU
wants a std of sqrt(2 / fan_in), about 0.13 here: these weights are ~8x too large, so each layer
multiplies the activation scale by ~8, from ~7 after the first layer to ~2e6 at the logits. The
initial loss is in the millions and the gradients are as large.
Fix: Kaiming (He) init for ReLU layers, or PyTorch's default.

Must fire:
- ND203 (forward signal) warn: activation std grows by orders of magnitude through depth.
- ND202 (init scale) warn: weight std ~8x the Kaiming std for ReLU.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND203": "warn", "ND202": "warn"}

HIDDEN_LAYERS = 6


def build_model() -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(64, 128), nn.ReLU()]
    for _ in range(HIDDEN_LAYERS - 1):
        layers += [nn.Linear(128, 128), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(128, 10))
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=1.0)  # BUG: ignores fan-in
            nn.init.zeros_(module.bias)
    return model


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
