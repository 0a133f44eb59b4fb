"""Broken: ReLU units that are dead from the start, because the hidden biases begin at -3.

A 64 -> 128 -> 64 -> 10 ReLU MLP whose hidden-layer biases are set to -3 (say, an attempt at
"sparse activations"). With standardized inputs the pre-activations sit below zero for almost
every sample: on a batch of 64 every hidden unit outputs 0 for every input (on 512 samples still
~80% of the first layer). A dead unit gets zero gradient and never recovers, so only the output
bias can learn.
Fix: zero (or small positive) biases; for ReLU nets a Kaiming init; Leaky ReLU if units keep dying.

Must fire:
- ND203 (forward signal) warn: share of dead ReLU units (zero for every input in the batch).
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND203": "warn"}

HIDDEN_BIAS = -3.0


def build_model() -> nn.Module:
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )
    for hidden in (model[0], model[2]):
        nn.init.constant_(hidden.bias, HIDDEN_BIAS)  # BUG: pushes units below zero
    return model


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
