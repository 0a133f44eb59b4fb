"""Healthy: a cosine classifier on embeddings L2-normalized with torch.nn.functional.normalize
(eps 1e-12), class weights normalized the same way, scale 10, cross-entropy.

Source: huggingface/sentence-transformers issue #625 "Guard against division by zero"
(https://github.com/huggingface/sentence-transformers/issues/625), found with the `issues` search
"x / x.norm() nan zero vector normalize embeddings use F.normalize eps": "Using
torch.nn.functional.normalize is a great solution since it has a default epsilon value of
1e-12".

Setup: 8 classes in 24 standardized features, MLP 24-64-ReLU-16 (linear embedding), the
normalization above, a learnable class matrix, logits 10 * cosine, nn.CrossEntropyLoss, SGD lr
0.1 momentum 0.9, batch 64.

Why healthy: F.normalize divides by max(||x||, eps), so even a zero embedding stays finite, and
the embedding is linear (no ReLU that can zero it); a standard normalized-softmax setup.

Verified (verify.py): validation accuracy rises to near 1 in 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/huggingface/sentence-transformers/issues/625",
    "kind": "healthy",
    "bug": "healthy: cosine-softmax classifier with F.normalize on embeddings and class weights",
    "expect": {},
    "consequences": [],
}

CLASSES = 8


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres = 1.2 * torch.randn(CLASSES, 24, generator=torch.Generator().manual_seed(31))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = centres[y] + torch.randn(n, 24, generator=g)
    return (x - x.mean(0)) / x.std(0), y


class CosineClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Linear(64, 16))
        self.classes = nn.Parameter(torch.randn(CLASSES, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        emb = nn.functional.normalize(self.encoder(x), dim=1)
        return 10.0 * emb @ nn.functional.normalize(self.classes, dim=1).t()


def build_model() -> nn.Module:
    return CosineClassifier()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.8}
