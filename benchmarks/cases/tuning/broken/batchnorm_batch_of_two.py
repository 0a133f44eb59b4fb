"""Broken: a BatchNorm1d feature MLP trained with batches of 2 (memory forced a tiny batch).

Source: GitHub issue VinAIResearch/ISBNet#12, "Error: Expected more than 1 value per channel when
training" (https://github.com/VinAIResearch/ISBNet/issues/12), found with the `issues` search:
the user's BatchNorm1d layers failed on a [1, 224] input and batch sizes above 1 were not
possible for them; the maintainer explains that "BatchNorm layer expects more than 1 batch size
during training" and suggests freezing the BatchNorm layers (yassouali/pytorch-segmentation#8 is
the batch-4 variant).

Bug: with 2 samples per batch, BatchNorm1d turns every feature into +-1 (which of the two samples
is larger), so the layers after it learn from pairwise comparisons, while at evaluation the
running averages normalize each sample on its own: the features the network sees in eval mode
follow a different distribution than in training and accuracy drops.

Reproduction: 32-d instance features of 6 classes (Gaussian clusters with noise), a
32-64-BN-ReLU-64-BN-ReLU-6 MLP, CrossEntropyLoss, SGD lr 0.01 momentum 0.9, batch size 2.

Verified (verify.py, VERIFIED.md): eval-mode validation accuracy is clearly below the same net
trained with batch size 32 for the same number of epochs (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/VinAIResearch/ISBNet/issues/12",
    "kind": "broken",
    "bug": "BatchNorm1d network trained with batch size 2: degenerate batch statistics, eval mismatch",
    "expect": {"ND105": "warn"},
    "consequences": ["ND106", "ND405"],
}


def _instances(n: int, seed: int):
    centres = torch.randn(6, 32, generator=torch.Generator().manual_seed(12))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 6, (n,), generator=g)
    return centres[y] + 2.0 * torch.randn(n, 32, generator=g), y


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(32, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 6),
    )


def _loaders(batch_size: int):
    x, y = _instances(1000, 1)
    xv, yv = _instances(400, 2)
    train = DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(0),
    )
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_data():
    return _loaders(batch_size=2)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def fixed_data():
    return _loaders(batch_size=32)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
