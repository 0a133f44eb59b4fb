"""Broken: BatchNorm1d(track_running_stats=False) in an MLP classifier: even after model.eval()
the layer normalizes with the statistics of the current batch, so a prediction depends on the
other samples evaluated with it, and small inference batches give wrong answers.

Source: pytorch/pytorch issue #156051 "BatchNorm1d fails with batch size 1 if
track_running_stats=False, claims it's not in eval mode even if .eval() is called"
(https://github.com/pytorch/pytorch/issues/156051), found with the `issues` search
"track_running_stats=False batchnorm eval mode batch size 1 prediction wrong". The answer there,
and the torch.nn.BatchNorm1d reference, say it: without running estimates "batch statistics are
instead used during evaluation time as well".

Bug: the model has no population statistics; at evaluation each mini-batch is re-centred and
re-scaled on its own. With a batch of one the layer raises; with two samples every feature
becomes +-1 after normalization, and in general a sample's logits change with its batch-mates.

Reproduction: 16 standardized features, 3 classes, MLP 16-64-BN-ReLU-64-BN-ReLU-3, CrossEntropy,
Adam lr 1e-3, training batch 64; the validation loader serves pairs of samples (batch 2), the
way a service answering two requests at a time would. The fix keeps running statistics (default).

Verified (verify.py): a sample's eval-mode output changes with the rest of its batch, and the fix
reaches a higher validation accuracy at batch 2.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/156051",
    "kind": "broken",
    "bug": "BatchNorm1d(track_running_stats=False): eval uses batch statistics, predictions depend on the batch",
    "expect": {"ND304": "warn", "ND106": "warn"},
    "consequences": ["ND105"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, 3, generator=torch.Generator().manual_seed(17))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    y = (x @ w + 0.5 * x[:, :3].abs()).argmax(1)
    return x, y


def _mlp(track: bool) -> nn.Module:
    return nn.Sequential(
        nn.Linear(16, 64),
        nn.BatchNorm1d(64, track_running_stats=track),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.BatchNorm1d(64, track_running_stats=track),
        nn.ReLU(),
        nn.Linear(64, 3),
    )


def build_model() -> nn.Module:
    return _mlp(track=False)


def fixed_model() -> nn.Module:
    return _mlp(track=True)


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=2)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.1,
}
