"""Broken: a deep MLP with sigmoid hidden layers, whose first layers barely learn.

Ten hidden Linear(64) + Sigmoid layers on digits. The sigmoid's slope is at most 0.25, so on the way
back every layer scales the gradient down: the first layer's gradient ends up orders of magnitude
smaller than the last layer's and the early layers hardly move. Sigmoid outputs are also not
zero-centred, which makes the updates zig-zag. Fix: ReLU (or a variant) in hidden layers.

Must fire:
- ND301 (gradient flow) warn: first-layer gradient norm orders of magnitude below the last's.
- ND104 (architecture advice) warn: sigmoid hidden activations in a deep net.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND301": "warn", "ND104": "warn"}

HIDDEN_LAYERS = 10


def build_model() -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(64, 64), nn.Sigmoid()]
    for _ in range(HIDDEN_LAYERS - 1):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(64, 10))


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
