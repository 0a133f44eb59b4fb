"""Healthy: SimCLR-style contrastive learning with the NT-Xent (InfoNCE) loss: two augmented
views of each sample, L2-normalized projections, cosine similarities divided by a temperature of
0.1, cross-entropy towards the other view among the 2N-1 candidates.

Source: Spijkervet/SimCLR issue #5 "Small refactoring of your loss"
(https://github.com/Spijkervet/SimCLR/issues/5), found with the `issues` search "NT-Xent loss
SimCLR temperature 0.07 pytorch implementation contrastive": an NT_Xent module that
concatenates z_i and z_j, takes cosine similarities over the temperature, masks the
self-similarities and applies CrossEntropyLoss with the positive pair as the target ("we treat
the other 2(N - 1) augmented examples within a minibatch as negative examples").

Setup: 24-dimensional samples drawn around 200 random prototypes; each view adds Gaussian noise
and randomly zeroes 20% of the features. Encoder MLP 24-128-64 with a projection head 64-32,
F.normalize, NT-Xent at temperature 0.1, Adam lr 1e-3, batch 128 pairs. The recipe's forward
returns the stacked projections [2B, 32]; the labels (prototype ids) are passed along but the loss
does not use them. The metric is top-1 retrieval of the other view on a held-out batch.

Why healthy: the target of the loss is built from the batch layout, a low temperature sharpens
the softmax over similarities as intended, and the loss floor is not zero (positives are noisy).

Verified (verify.py): held-out view-to-view retrieval accuracy rises far above chance (1/256).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Spijkervet/SimCLR/issues/5",
    "kind": "healthy",
    "bug": "healthy: SimCLR two-view MLP encoder, normalized projections, NT-Xent loss at temperature 0.1",
    "expect": {},
    "consequences": [],
}

DIM, PROTOS = 24, 200


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    protos = torch.randn(PROTOS, DIM, generator=torch.Generator().manual_seed(31))
    g = torch.Generator().manual_seed(seed)
    label = torch.randint(0, PROTOS, (n,), generator=g)
    base = protos[label] + 0.6 * torch.randn(n, DIM, generator=g)

    def view() -> torch.Tensor:
        keep = (torch.rand(n, DIM, generator=g) > 0.2).float()
        return (base + 0.3 * torch.randn(n, DIM, generator=g)) * keep

    return view(), view(), label


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(DIM, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.projection = nn.Linear(64, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.projection(self.backbone(x)), dim=1)


class NTXent(nn.Module):
    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        n = z.shape[0] // 2
        sim = z @ z.t() / self.temperature
        sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
        target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
        return nn.functional.cross_entropy(sim, target)


def view_retrieval(z: torch.Tensor, labels: torch.Tensor) -> float:
    n = z.shape[0] // 2
    sim = z[:n] @ z[n:].t()
    return (sim.argmax(1) == torch.arange(n)).float().mean().item()


def build_model() -> nn.Module:
    return Encoder()


def build_data():
    a, b, y = _pairs(6000, 1)
    av, bv, yv = _pairs(256, 2)
    train = DataLoader(TensorDataset(a, b, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(av, bv, yv), batch_size=256)


def forward(model, batch):
    a, b, y = batch
    return model(torch.cat([a, b])), torch.cat([y, y])


def build_loss():
    return NTXent(temperature=0.1)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": view_retrieval, "epochs": 5, "min": 0.3}
