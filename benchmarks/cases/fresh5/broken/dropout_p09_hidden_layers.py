"""Broken: nn.Dropout(p=0.9) after every hidden layer of a small MLP, i.e. 90% of the units are
zeroed at every step (the value was meant as a Keras/TF1 `keep_prob`, where 0.9 keeps 90%). The
network cannot fit its training data and underfits badly.

Source: "Solved - Why accuracy gradually increase then suddenly drop with dropout"
(https://imathworks.com/cv/solved-why-accuracy-gradually-increase-then-suddenly-drop-with-dropout/),
found with the `pages` search "dropout 0.9 too high model underfits accuracy stuck": the answer
explains that above a certain dropout rate the model is no longer able to fit ("if you reduce
the capacity too much, it is sure that you will get bad results") and that dropout right before
the output layer is especially harmful; the keep_prob vs drop-probability confusion is the usual
way p ends up at 0.9 in PyTorch code ported from TensorFlow 1.

Bug: with p=0.9 only ~10% of the 128 hidden units survive each step and the survivors are
scaled by 10, so the gradient noise swamps the signal; both the training and the validation
accuracy stay low.

Reproduction: 20 standardized features, 5 classes from a nonlinear rule, MLP 20-128-128-5 with
Dropout after each ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 64. The fix is p=0.1.

Verified (verify.py): the fixed dropout reaches a much higher validation accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://imathworks.com/cv/solved-why-accuracy-gradually-increase-then-suddenly-drop-with-dropout/",
    "kind": "broken",
    "bug": "nn.Dropout(p=0.9) after every hidden layer (keep_prob meant): 90% of units dropped, the MLP underfits",
    "expect": {"ND401": "warn", "ND402": "warn"},
    "consequences": ["ND404", "ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(20, 5, generator=torch.Generator().manual_seed(17))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    return x, (torch.tanh(x @ w) + 0.4 * x[:, :5] ** 2).argmax(1)


def _mlp(p: float) -> nn.Module:
    return nn.Sequential(
        nn.Linear(20, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, 5)
    )


def build_model() -> nn.Module:
    return _mlp(0.9)


def fixed_model() -> nn.Module:
    return _mlp(0.1)


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.12,
}
