"""Broken: the model outputs [N, 1] but the targets are [N], and MSELoss broadcasts them.

MSELoss(output [N, 1], target [N]) does not compare sample i's prediction with sample i's target:
broadcasting expands both to [N, N] and averages every prediction against every target (PyTorch
only emits a UserWarning). The best the model can do is predict the batch mean for everyone, so
the loss plateaus near var(y) and R^2 stays near 0. Fix: make the shapes match (targets [N, 1], or
`output.squeeze(1)`).

Must fire:
- ND103 (loss/output pairing) fail: output and target shapes differ and the loss broadcasts.
"""

from torch import nn
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import load_bundled, split_loaders

FIRES = {"ND103": "fail"}


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data() -> tuple[DataLoader, DataLoader]:
    features, target = load_bundled("diabetes")  # target has shape [N]: BUG, the model's is [N, 1]
    return split_loaders(features, target, batch_size=32, standardize_target=True)


def build_loss() -> nn.Module:
    return nn.MSELoss()
