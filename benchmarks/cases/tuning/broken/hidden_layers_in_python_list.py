"""Broken: an MLP keeps its hidden layers in a plain Python list, so they are never registered.

Source: GitHub issue pytorch/pytorch#715, "Module: parameters are not included if the module is
initialized in a list" (https://github.com/pytorch/pytorch/issues/715), found with the `issues`
search: an SNLI classifier built `self.hids = []` and appended `nn.Linear(n_hid, n_hid)` layers in
a loop; `parameters()` listed only the classifier. The maintainer: wrap them in nn.ModuleList.

Bug: modules stored in a list are invisible to `parameters()`, `.to()`, `state_dict()` and the
optimizer: the hidden layers keep their random init while only the final classifier trains, so
the model is a linear probe on random features.

Reproduction: a sentence-pair entailment stand-in: 3 classes decided by a non-linear interaction
of two 32-d "sentence embeddings" (concatenated to 64-d), the issue's structure (an input Linear,
two hidden Linear+ReLU in `self.hids = []`, a classifier Linear), CrossEntropyLoss, Adam lr 1e-3,
batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy stays well below the same model with the
hidden layers in nn.ModuleList (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/715",
    "kind": "broken",
    "bug": "hidden nn.Linear layers kept in a plain Python list: not registered, never trained",
    "expect": {"ND107": "warn"},
    "consequences": ["ND402", "ND405"],
}


class PairClassifier(nn.Module):
    def __init__(self, register: bool) -> None:
        super().__init__()
        self.inp = nn.Linear(64, 128)
        hids = [nn.Sequential(nn.Linear(128, 128), nn.ReLU()) for _ in range(2)]
        self.hids = nn.ModuleList(hids) if register else hids
        self.classifier = nn.Linear(128, 3)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for layer in self.hids:
            h = layer(h)
        return self.classifier(h)


def _pairs(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(n, 32, generator=g), torch.randn(n, 32, generator=g)
    sim = (a[:, :8] * b[:, :8]).sum(1) / 8**0.5
    y = (sim > 0.5).long() + (sim > -0.5).long()  # contradiction / neutral / entailment
    return torch.cat([a, b], 1), y


def build_model() -> nn.Module:
    return PairClassifier(register=False)


def build_data():
    x, y = _pairs(4000, 1)
    xv, yv = _pairs(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=800)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return PairClassifier(register=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 8,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
