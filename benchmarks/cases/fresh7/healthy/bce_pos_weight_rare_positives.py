"""Healthy: a binary classifier on an imbalanced set (about 9% positives) trained with
nn.BCEWithLogitsLoss(pos_weight = #negatives / #positives), the documented way to rebalance the
classes: each positive counts about 10x in the loss.

Source: PyTorch Forums "Loss function for binary classification"
(https://discuss.pytorch.org/t/loss-function-for-binary-classification/72150), found with the
`pages` search "pos_weight number of negatives divided by positives imbalanced binary
classification BCEWithLogitsLoss": for a 100:1 imbalance the answer recommends dropping the final
Sigmoid, returning logits, and using BCEWithLogitsLoss with pos_weight set to the imbalance ratio.

Setup: 12 standardized features, label 1 when a noisy linear score exceeds 1.45 (8.8% of the training rows);
MLP 12-32-1 returning a logit, pos_weight computed from the training labels (10.4), Adam lr 1e-3,
batch 64. Metric: ROC AUC.

Why healthy: the initial loss is above ln 2 (the weighted positives count 10x), the classes are
imbalanced on purpose, and the recipe already handles it; none of that is a bug.

Verified (verify.py): validation AUC well above 0.5.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/loss-function-for-binary-classification/72150",
    "kind": "healthy",
    "bug": "healthy: 9% positives, BCEWithLogitsLoss(pos_weight = neg/pos = 10.4) on logits, Adam",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(12, generator=torch.Generator().manual_seed(47))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    s = x @ w / w.norm() + 0.5 * torch.randn(n, generator=g)
    return x, (s > 1.45).float().unsqueeze(1)  # about 9% of the rows


def _train():
    return _rows(4000, 1)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 1))


def build_data():
    x, y = _train()
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    y = _train()[1]
    pos = y.sum()
    return nn.BCEWithLogitsLoss(pos_weight=((len(y) - pos) / pos).reshape(1))


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "auc", "epochs": 5, "min": 0.85}
