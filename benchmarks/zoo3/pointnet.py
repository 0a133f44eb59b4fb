"""Zoo3: PointNet (Qi et al. 2017) point-cloud classifier in plain PyTorch, with its own regularized loss.

PointNet's classification network at reduced width: an input T-Net predicts a 3x3 transform of
the points, a shared MLP (Conv1d 1x1) 3 -> 64 -> 64, a feature T-Net predicts a 64x64 transform
of the per-point features, a shared MLP 64 -> 128 -> 256, max pooling over points, then
FC 256 -> 128 -> 64 (BatchNorm, ReLU, dropout 0.3 before the last) -> 4 classes. Each T-Net is a
small PointNet (64-128-256, max pool, FC 128-64) whose output is added to the identity; its last
layer starts at zero (the authors' code: weights 0, bias the identity), so both transforms start
as the identity. BatchNorm after every hidden layer; otherwise PyTorch's default initialization.

Data: 256-point clouds of 4 surfaces (sphere, cube, cylinder, cone), scaled and rotated about the
vertical axis (`_data.point_clouds`). The model returns (logits, feature transform); the loss
is PointNet's: cross-entropy plus 0.001 * ||I - A A^T||^2 on the 64x64 feature transform A.
Optimizer as in the paper: Adam lr 1e-3, batch 32.
"""

import itertools

import torch
from _data import point_clouds, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

NNDOCTOR = {"task": "classification", "num_classes": 4}


def _shared(*widths: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        layers += [nn.Conv1d(a, b, 1), nn.BatchNorm1d(b), nn.ReLU()]
    return nn.Sequential(*layers)


def _dense(*widths: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    return nn.Sequential(*layers)


class TNet(nn.Module):
    """Predicts a k x k transform (identity + learned offset) from the whole cloud."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k
        self.features = _shared(k, 64, 128, 256)
        self.head = nn.Sequential(_dense(256, 128, 64), nn.Linear(64, k * k))
        nn.init.zeros_(self.head[-1].weight)  # as the authors' code: the transform starts at the identity
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset = self.head(self.features(x).amax(dim=2)).view(-1, self.k, self.k)
        return offset + torch.eye(self.k, device=x.device)


class PointNet(nn.Module):
    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.input_transform = TNet(3)
        self.mlp1 = _shared(3, 64, 64)
        self.feature_transform = TNet(64)
        self.mlp2 = _shared(64, 128, 256)
        self.classifier = nn.Sequential(_dense(256, 128, 64), nn.Dropout(0.3), nn.Linear(64, classes))

    def forward(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.bmm(self.input_transform(points).transpose(1, 2), points)
        x = self.mlp1(x)
        a = self.feature_transform(x)
        x = self.mlp2(torch.bmm(a.transpose(1, 2), x))
        return self.classifier(x.amax(dim=2)), a


class PointNetLoss(nn.Module):
    """Cross-entropy + weight * mean ||I - A A^T||_F^2 of the feature transform A."""

    def __init__(self, weight: float = 0.001) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, output: tuple[torch.Tensor, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
        logits, a = output
        eye = torch.eye(a.shape[1], device=a.device)
        reg = (eye - torch.bmm(a, a.transpose(1, 2))).pow(2).sum(dim=(1, 2)).mean()
        return nn.functional.cross_entropy(logits, target) + self.weight * reg


def build_model() -> nn.Module:
    return PointNet()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*point_clouds(2048, seed=130))
    val = TensorDataset(*point_clouds(512, seed=131))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def build_loss() -> nn.Module:
    return PointNetLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
