"""Broken: a classifier that ends in Softmax, trained with MSELoss against one-hot targets.

The "early days" recipe (one-hot targets, softmax outputs, squared error) written in PyTorch:
`nn.Softmax` at the end of the model and `MSELoss()(probs, one_hot)`. Where the model is
confidently wrong the softmax is saturated and the squared error passes almost no gradient back,
so learning is slow and stalls; cross-entropy on logits has no such flat region (its gradient is
probs - one_hot). Modeled on Graylab/DL4Proteins-notebooks#5 (swapping cross-entropy for MSE with
one-hot labels) and the cs231n remark that MSE on softmax outputs is harder to optimize. With SGD
at lr 0.1 for 20 epochs this reaches 36% validation accuracy on digits, cross-entropy on logits 96%
(Adam hides much of it: 96% both; benchmarks/calibrate_new_checks.py nd103).
Fix: drop the Softmax and use CrossEntropyLoss on class indices.

Must fire:
- ND103 (loss-output-mismatch) warn: MSE between softmax probabilities and one-hot targets.
"""

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

from nndoctor.samples.datasets import digits_loaders

FIRES = {"ND103": "warn"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1)
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    loaders = []
    for loader, shuffle in zip(digits_loaders(batch_size=64), (True, False), strict=True):
        x, y = loader.dataset.tensors
        one_hot = F.one_hot(y, 10).float()
        loaders.append(
            DataLoader(
                TensorDataset(x, one_hot), batch_size=64, shuffle=shuffle, generator=torch.Generator().manual_seed(0)
            )
        )
    return loaders[0], loaders[1]


def build_loss() -> nn.Module:
    return nn.MSELoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.1)
