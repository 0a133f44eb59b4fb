"""Broken: a plain-PyTorch GCN propagates with the adjacency multiplied by the node degrees
(D @ A) instead of the normalized D^-1/2 (A + I) D^-1/2; activations grow by ~degree^2 per layer.

Source: benedekrozemberczki/AttentionWalk issue #9 "miscalculations of normalized adjacency
matrix" (https://github.com/benedekrozemberczki/AttentionWalk/issues/9), found with the `issues`
search "GCN adjacency matrix without normalization loss explodes degree": the "normalized"
adjacency was computed as `degs.dot(adjacency_matrix)`, which "hasn't been normalize but simply
multiple by degree of nodes", and the loss became "extreme big"; the fix is
degs^-1/2 . A . degs^-1/2.

Bug: each propagation step multiplies a node's features by (its degree) x (sum of its neighbours'
features), so with ~9 neighbours per node three layers inflate the activations by ~10^4 and the
logits at initialization are enormous.

Reproduction: batches of 24-node random graphs (edge probability 0.4), 8 standardized node
features; the graph's class (3) is the argmax of the mean of the first three features after one
step of normalized neighbour averaging; a dense GCN written in plain torch (3 layers
H <- relu(A_hat H W), width 32, mean pooling, Linear(32, 3)); CrossEntropyLoss; SGD lr 0.05 momentum 0.9 (the
original uses Adam, whose per-parameter step normalization partly hides the scale; with Adam the
broken GCN still reached 0.86 vs 0.94);
batch 32 graphs. The original is a graph embedding model; the mechanism (degree-multiplied
instead of degree-normalized propagation) is the same.

Verified (verify.py): after 6 epochs the broken GCN's validation accuracy is well below the same
model with the symmetric normalization (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/benedekrozemberczki/AttentionWalk/issues/9",
    "kind": "broken",
    "bug": "plain-torch GCN propagating with degree-multiplied adjacency D @ A instead of D^-1/2 (A+I) D^-1/2",
    "expect": {"ND203": "warn"},
    "consequences": ["ND201", "ND202", "ND301", "ND402", "ND404"],
}

NODES, FEATS, CLASSES = 24, 8, 3


def _normalized(adj: torch.Tensor) -> torch.Tensor:
    a = adj + torch.eye(NODES)
    d = a.sum(-1).rsqrt()
    return d[..., :, None] * a * d[..., None, :]


def _graphs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    upper = (torch.rand(n, NODES, NODES, generator=g) < 0.4).float().triu(1)
    adj = upper + upper.transpose(1, 2)
    x = torch.randn(n, NODES, FEATS, generator=g)
    y = (_normalized(adj) @ x)[:, :, :CLASSES].mean(1).argmax(1)
    return x, adj, y


class DenseGCN(nn.Module):
    def __init__(self, normalize: bool) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(FEATS, 32), nn.Linear(32, 32), nn.Linear(32, 32)])
        self.head = nn.Linear(32, CLASSES)
        self.normalize = normalize

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        if self.normalize:
            a_hat = _normalized(adj)
        else:
            a_hat = adj.sum(-1, keepdim=True) * adj  # degs.dot(adjacency): the bug
        h = x
        for layer in self.layers:
            h = torch.relu(a_hat @ layer(h))
        return self.head(h.mean(1))


def build_model() -> nn.Module:
    return DenseGCN(normalize=False)


def build_data():
    x, a, y = _graphs(1500, 1)
    xv, av, yv = _graphs(300, 2)
    train = DataLoader(TensorDataset(x, a, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, av, yv), batch_size=150)


def forward(model, batch):
    x, adj, y = batch
    return model(x, adj), y


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


def fixed_model() -> nn.Module:
    return DenseGCN(normalize=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 6,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
