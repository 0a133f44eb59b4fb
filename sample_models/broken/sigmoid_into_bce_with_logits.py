"""Broken: the model ends in nn.Sigmoid and its probabilities go into BCEWithLogitsLoss.

BCEWithLogitsLoss applies the sigmoid itself and expects a raw logit. Fed a probability in (0, 1)
it computes sigmoid(sigmoid(z)), which lies in (0.5, 0.73): the model can never express "class 0",
the loss cannot get near 0 and its gradients are small. Fix: drop the final Sigmoid (or, keeping
it, use BCELoss, which is less numerically stable).

Must fire:
- ND103 (loss/output pairing) fail: sigmoid output fed to a loss that expects logits.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import breast_cancer_loaders

FIRES = {"ND103": "fail"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(30, 32),
        nn.ReLU(),
        nn.Linear(32, 16),
        nn.ReLU(),
        nn.Linear(16, 1),
        nn.Sigmoid(),
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return breast_cancer_loaders(batch_size=32)


def build_loss() -> nn.Module:
    return nn.BCEWithLogitsLoss()
