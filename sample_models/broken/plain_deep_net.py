"""Advice: a plain 30-layer ReLU MLP with no skip connections.

64 -> 29 x Linear(128) + ReLU -> 10, with Kaiming (He) init for the ReLU layers and LeCun init for
the linear head, so the initial signal is well scaled and nothing is numerically broken. But plain
stacks this deep are hard to optimize even with a good init (the degradation problem that residual
networks solved): gradients reach the early layers through 30 multiplications and training is
slower and worse than a shallower or residual net (inputs also grow more alike with depth: on a
batch of 64, 20-40% of the deepest units are already dead at init). Fix: add skip connections
(x + f(x)) with normalization, as in `healthy/deep_residual_mlp.py`, or use fewer layers.

Must fire:
- ND104 (architecture advice) warn: plain net deeper than ~20 layers without skip connections.
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
    head = nn.Linear(WIDTH, 10)
    for module in layers:
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    nn.init.kaiming_normal_(head.weight, nonlinearity="linear")  # LeCun: std 1/sqrt(fan_in)
    nn.init.zeros_(head.bias)
    return nn.Sequential(*layers, head)


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
