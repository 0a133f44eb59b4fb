"""Broken: a plain 30-layer ReLU MLP with no skip connections, PyTorch's default init.

64 -> 29 x Linear(128) + ReLU -> 10, the way stacks of layers are often written: `nn.Linear`'s
default init (uniform, about 0.58x the Kaiming scale for ReLU) in every layer and no skip
connections. Each layer shrinks the signal, so after 30 of them the activations and the gradients
reaching the first layers are orders of magnitude too small, and Adam at 1e-3 cannot get the net
off the ground: in a plain loop (15 epochs on digits, seeds 0 and 1) it stays at chance, 10%
validation accuracy, while the same net 3 layers deep reaches 96%. Plain stacks this deep are
hard to optimize even with a good init (the degradation problem residual networks solved). Fix:
add skip connections (x + f(x)) with normalization, as in `healthy/deep_residual_mlp.py`, or use
fewer layers (and Kaiming init for ReLU).

Must fire:
- ND104 (architecture advice) warn: plain net deeper than ~20 layers without skip connections,
  confirmed by the experiments (the signal shrinks, the tiny subset is not fitted, the loss is flat).
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND104": "warn"}

DEPTH = 30  # weighted layers
WIDTH = 128


def build_model() -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(64, WIDTH), nn.ReLU()]
    for _ in range(DEPTH - 2):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))  # BUG: 30 plain layers, no skip connections


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
