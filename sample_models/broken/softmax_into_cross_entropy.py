"""Broken: the model ends in nn.Softmax and its probabilities go into nn.CrossEntropyLoss.

CrossEntropyLoss applies log-softmax itself and expects raw logits. Fed probabilities in [0, 1], it
computes softmax(softmax(z)): even a perfect prediction scores -log(e / (e + 9)) = 1.46, so the
loss cannot approach 0, its gradients are ~10x smaller than with logits and vanish as predictions
become confident; training stalls and the loss value misleads. Fix: drop the final Softmax
(apply it only when you need probabilities at inference time).

Must fire:
- ND103 (loss/output pairing) fail: softmax output fed to a loss that expects logits.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND103": "fail"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
        nn.Softmax(dim=1),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()
