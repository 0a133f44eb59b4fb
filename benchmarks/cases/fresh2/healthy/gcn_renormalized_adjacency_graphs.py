"""Healthy: a dense graph convolutional network in plain PyTorch with Kipf & Welling's
renormalized adjacency D^-1/2 (A + I) D^-1/2, dropout 0.5, Adam lr 0.01 weight decay 5e-4.

Source: tkipf/pygcn (https://github.com/tkipf/pygcn), the reference PyTorch GCN, found with the
`issues` search "GCN adjacency matrix without normalization loss explodes degree" (its PR #68 adds
the renormalization trick): GraphConvolution layers computing adj @ (x @ W), ReLU and dropout
between them, Adam(lr=0.01, weight_decay=5e-4).

Setup: graph classification on batches of 24-node random graphs (edge probability 0.3) with 8
standardized node features; the class (3) is the argmax of the mean of the first three features
after one step of normalized neighbour averaging; 2 graph-conv layers of width 32 with ReLU and
dropout 0.5, mean pooling over nodes, Linear(32, 3); CrossEntropyLoss; batch 32 graphs. pygcn does
node classification on one citation graph; the propagation rule and optimizer are the same.

Why healthy: the propagation matrix has spectral radius 1, so features keep their scale through
the layers; logits into CrossEntropyLoss; the recommended optimizer settings.

Verified (verify.py): validation accuracy well above chance (1/3) after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/tkipf/pygcn",
    "kind": "healthy",
    "bug": "healthy: plain-torch dense GCN with D^-1/2 (A+I) D^-1/2, dropout 0.5, Adam lr 0.01 wd 5e-4, graph classification",
    "expect": {},
    "consequences": [],
}

NODES, FEATS, CLASSES = 24, 8, 3


def _normalized(adj: torch.Tensor) -> torch.Tensor:
    a = adj + torch.eye(NODES)
    d = a.sum(-1).rsqrt()
    return d[..., :, None] * a * d[..., None, :]


def _graphs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    upper = (torch.rand(n, NODES, NODES, generator=g) < 0.3).float().triu(1)
    adj = upper + upper.transpose(1, 2)
    x = torch.randn(n, NODES, FEATS, generator=g)
    y = (_normalized(adj) @ x)[:, :, :CLASSES].mean(1).argmax(1)
    return x, adj, y


class GraphConvolution(nn.Module):
    def __init__(self, fan_in: int, fan_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, fan_out)

    def forward(self, x: torch.Tensor, a_hat: torch.Tensor) -> torch.Tensor:
        return a_hat @ self.linear(x)


class GCN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gc1 = GraphConvolution(FEATS, 32)
        self.gc2 = GraphConvolution(32, 32)
        self.dropout = nn.Dropout(0.5)
        self.head = nn.Linear(32, CLASSES)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        a_hat = _normalized(adj)
        h = self.dropout(torch.relu(self.gc1(x, a_hat)))
        h = torch.relu(self.gc2(h, a_hat))
        return self.head(h.mean(1))


def build_model() -> nn.Module:
    return GCN()


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
    return torch.optim.Adam(params, lr=0.01, weight_decay=5e-4)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.7}
