"""Broken: a node classifier on citation-network features that contain NaN rows.

Source: GitHub issue danielegrattarola/keras-gat#14, "citeseer dataset loss is nan"
(https://github.com/danielegrattarola/keras-gat/issues/14), found with the `issues` search: the
Citeseer loader produced NaN feature values for some nodes; the fix was `X[np.isnan(X)] = 0.`

Bug: a handful of nodes (isolated papers missing from the feature file) have all-NaN bag-of-words
rows. Every batch that contains one produces a NaN loss and the first backward turns all weights
into NaN.

Reproduction: 6-class nodes with 300-d binary bag-of-words features (class-specific word
probabilities), 0.5% of the rows NaN, a 300-64-6 MLP with dropout (the feature part of a GCN/GAT
pipeline), CrossEntropyLoss, Adam lr 5e-3 (the GAT setting), batch 64.

Verified (verify.py, VERIFIED.md): the training loss becomes NaN in the first epoch; with the NaN
rows zeroed (the fix) the same MLP classifies the nodes.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/danielegrattarola/keras-gat/issues/14",
    "kind": "broken",
    "bug": "NaN feature rows in the input data of a node classifier",
    "expect": {"ND102": "warn"},
    "consequences": ["ND101", "ND201", "ND204", "ND402", "ND403", "ND404"],
}


def _nodes(fix: bool):
    g = torch.Generator().manual_seed(5)
    y = torch.randint(0, 6, (3000,), generator=g)
    word_p = torch.rand(6, 300, generator=g) ** 3 * 0.3
    x = (torch.rand(3000, 300, generator=g) < word_p[y]).float()
    missing = torch.rand(3000, generator=g) < 0.005
    x[missing] = 0.0 if fix else float("nan")
    return x, y


def _loaders(fix: bool):
    x, y = _nodes(fix)
    train = DataLoader(
        TensorDataset(x[:2400], y[:2400]), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    xv, yv = x[2400:], y[2400:]
    keep = ~xv.isnan().any(1)
    return train, DataLoader(TensorDataset(xv[keep], yv[keep]), batch_size=600)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Dropout(0.6), nn.Linear(300, 64), nn.ELU(), nn.Dropout(0.6), nn.Linear(64, 6))


def build_data():
    return _loaders(fix=False)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=5e-3, weight_decay=5e-4)


def fixed_data():
    return _loaders(fix=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.3,
}
