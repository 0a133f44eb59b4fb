"""Broken: a matrix-factorization recommender outputs sigmoid(score) into BCEWithLogitsLoss.

Source: GitHub pull request yudi-mars/daisyRec#15, "Do not need sigmoid because there is sigmoid
in BCEWithLogitsLoss" (https://github.com/yudi-mars/daisyRec/pull/15), found with the `issues`
search: "Otherwise loss does not converge."

Bug: the predicted interaction probability is squashed twice; the loss the optimizer sees can
only move between sigmoid(0)=0.5 and sigmoid(1)=0.73, its gradients are damped by the extra
sigmoid, and the embeddings learn slowly.

Reproduction: implicit-feedback data from a synthetic rank-4 user/item preference matrix
(300 users x 200 items, label = preference > 0), a dot-product MF model with 16-d user and item
embeddings plus biases, SGD lr 10, batch 256 (each embedding row sees only a 1/batch share of the
mean loss, so plain-SGD MF needs a large step; the fixed model trains well at this lr).

Verified (verify.py, VERIFIED.md): the validation AUC after 5 epochs (AUC ignores the monotone
extra sigmoid, so the comparison is fair) is clearly below the same model returning raw scores.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/yudi-mars/daisyRec/pull/15",
    "kind": "broken",
    "bug": "MF recommender returns sigmoid(score) into nn.BCEWithLogitsLoss (sigmoid applied twice)",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404", "ND405"],
}

N_USERS, N_ITEMS = 300, 200


class MF(nn.Module):
    def __init__(self, sigmoid_out: bool) -> None:
        super().__init__()
        self.sigmoid_out = sigmoid_out
        self.user = nn.Embedding(N_USERS, 16)
        self.item = nn.Embedding(N_ITEMS, 16)
        self.user_bias = nn.Embedding(N_USERS, 1)
        self.item_bias = nn.Embedding(N_ITEMS, 1)
        for emb in (self.user, self.item):
            nn.init.normal_(emb.weight, std=0.1)
        for emb in (self.user_bias, self.item_bias):
            nn.init.zeros_(emb.weight)

    def forward(self, pairs):
        u, i = pairs[:, 0], pairs[:, 1]
        score = (self.user(u) * self.item(i)).sum(1) + self.user_bias(u)[:, 0] + self.item_bias(i)[:, 0]
        return torch.sigmoid(score) if self.sigmoid_out else score


def _interactions():
    g = torch.Generator().manual_seed(7)
    pref = torch.randn(N_USERS, 4, generator=g) @ torch.randn(4, N_ITEMS, generator=g)
    pairs = torch.stack(torch.meshgrid(torch.arange(N_USERS), torch.arange(N_ITEMS), indexing="ij"), -1).reshape(-1, 2)
    labels = (pref.reshape(-1) > 0).float()
    keep = torch.randperm(len(pairs), generator=g)[:30000]
    return pairs[keep], labels[keep]


def build_model() -> nn.Module:
    return MF(sigmoid_out=True)


def build_data():
    pairs, labels = _interactions()
    train = DataLoader(
        TensorDataset(pairs[:24000], labels[:24000]),
        batch_size=256,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    return train, DataLoader(TensorDataset(pairs[24000:], labels[24000:]), batch_size=1024)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=10.0)


def fixed_model() -> nn.Module:
    return MF(sigmoid_out=False)


VERIFY = {
    "metric": "auc",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.05,
}
