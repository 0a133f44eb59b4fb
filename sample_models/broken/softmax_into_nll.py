"""Broken: softmax probabilities fed to NLLLoss, which expects log-probabilities.

NLLLoss only returns -input[target]; it is cross-entropy only when the input is log_softmax. Fed
probabilities, the initial loss is negative (about -0.1 for 10 classes), something no valid setup
produces, and training maximizes the picked probability linearly: a confidently wrong prediction
costs at most 1 instead of growing without bound. Modeled on the many "NLLLoss is negative"
reports (e.g. James McCaffrey's explanation of log_softmax with NLLLoss, 2022). With SGD at lr 0.1
for 20 epochs this reaches 75% validation accuracy on digits, against 96% with CrossEntropyLoss on
logits (benchmarks/calibrate_new_checks.py nd103).
Fix: nn.LogSoftmax(dim=1) instead of nn.Softmax, or drop it and use CrossEntropyLoss.

Must fire:
- ND103 (loss-output-mismatch) fail: negative initial NLL loss (probabilities, not log-probabilities).
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND103": "fail"}


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1)
    )


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.NLLLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.1)
