"""Healthy: CLIP-style two-tower contrastive training with a learnable temperature: both towers'
outputs are L2-normalized, the similarity matrix is multiplied by exp(logit_scale) with
logit_scale initialized to log(1/0.07), and the loss is the symmetric cross-entropy towards the
diagonal of the in-batch similarity matrix.

Source: huggingface/transformers issue #13430 "Difference between `logit_scale` initialisation in
Transformers CLIP and the original OpenAI implementation"
(https://github.com/huggingface/transformers/issues/13430), found with the `issues` search "CLIP
learnable logit_scale temperature contrastive loss training from scratch small": the OpenAI
init is `nn.Parameter(torch.ones([]) * np.log(1 / 0.07))`, and a wrong init made the loss rise;
the fix (#13436) restored it.

Setup: paired "image" (32-d) and "text" (24-d) vectors generated from a shared 8-d latent plus
noise; towers MLP 32-64-16 and 24-64-16; logits [B, B] = exp(logit_scale) * a @ b.T; the
recipe's forward returns the logits and arange(B) as targets; loss (CE(L, t) + CE(L.T, t)) / 2;
AdamW lr 1e-3 weight_decay 0.1, batch 64 (drop_last).

Why healthy: the standard CLIP objective; the targets are the batch layout, the output is a
similarity matrix whose rows depend on the batch by design.

Verified (verify.py): in-batch top-1 retrieval accuracy far above chance (1/64).
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/huggingface/transformers/issues/13430",
    "kind": "healthy",
    "bug": "healthy: CLIP two-tower contrastive loss with learnable logit_scale = log(1/0.07), AdamW",
    "expect": {},
    "consequences": [],
}


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    ga = torch.Generator().manual_seed(40)
    pa, pb = torch.randn(8, 32, generator=ga), torch.randn(8, 24, generator=ga)
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 8, generator=g)
    a = torch.tanh(z @ pa) + 0.2 * torch.randn(n, 32, generator=g)
    b = z @ pb / 3 + 0.2 * torch.randn(n, 24, generator=g)
    return a, b


class TwoTower(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
        self.text = nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Linear(64, 16))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        ea = nn.functional.normalize(self.image(a), dim=1)
        eb = nn.functional.normalize(self.text(b), dim=1)
        return self.logit_scale.exp() * ea @ eb.t()


class SymmetricCE(nn.Module):
    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = nn.functional.cross_entropy
        return (ce(logits, target) + ce(logits.t(), target)) / 2


def build_model() -> nn.Module:
    return TwoTower()


def build_data():
    a, b = _pairs(4096, 1)
    av, bv = _pairs(512, 2)
    g = torch.Generator().manual_seed(0)
    train = DataLoader(TensorDataset(a, b), batch_size=64, shuffle=True, drop_last=True, generator=g)
    return train, DataLoader(TensorDataset(av, bv), batch_size=64, drop_last=True)


def forward(model, batch):
    a, b = batch
    return model(a, b), torch.arange(len(a))


def build_loss():
    return SymmetricCE()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.3}
