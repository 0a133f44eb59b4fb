"""Zoo3: a graph convolutional network (Kipf & Welling, 2017) in plain PyTorch, full-batch, with Adam.

The paper's two-layer GCN: dropout 0.5 -> GraphConv(64 -> 16) -> ReLU -> dropout 0.5 ->
GraphConv(16 -> 4), where GraphConv(X) = A_hat X W (+ bias) with the symmetric-normalized
adjacency A_hat = D^-1/2 (A + I) D^-1/2 (dense here, 800 nodes). Glorot-uniform weights and zero
biases, as in the authors' code.

Data: one stochastic-block-model graph of 4 communities with noisy bag-of-words features
(`_data.sbm_graph`), transductive node classification with 20 labelled nodes per class, as on
Cora. Every batch is the whole graph; `forward` returns the logits and labels of the nodes the
batch's mask selects (the 80 training nodes in training, 200 validation nodes otherwise). The
paper's recipe: Adam lr 0.01, weight decay 5e-4 (the paper decays the first layer only; the
recipe's flat parameter list decays both), cross-entropy on the labelled nodes.
"""

import math

import torch
from _data import sbm_graph
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, Dataset

NNDOCTOR = {"task": "classification", "num_classes": 4}


class GraphConv(nn.Module):
    def __init__(self, fan_in: int, fan_out: int) -> None:
        super().__init__()
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        self.weight = nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(fan_out))

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        return adj @ (x @ self.weight) + self.bias


class GCN(nn.Module):
    def __init__(self, features: int = 64, hidden: int = 16, classes: int = 4, dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = GraphConv(features, hidden)
        self.conv2 = GraphConv(hidden, classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1(self.dropout(x), adj))
        return self.conv2(self.dropout(h), adj)


class WholeGraph(Dataset):
    """A dataset of one item: the full graph, with the node mask of one split."""

    def __init__(self, graph: dict[str, torch.Tensor], mask: str) -> None:
        self.item = {"x": graph["x"], "adj": graph["adj"], "y": graph["y"], "mask": graph[mask]}

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.item


def build_model() -> nn.Module:
    return GCN()


def build_data() -> tuple[DataLoader, DataLoader]:
    graph = sbm_graph(seed=140)
    return (
        DataLoader(WholeGraph(graph, "train_mask"), batch_size=None),
        DataLoader(WholeGraph(graph, "val_mask"), batch_size=None),
    )


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    logits = model(batch["x"], batch["adj"])
    return logits[batch["mask"]], batch["y"][batch["mask"]]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=0.01, weight_decay=5e-4)
