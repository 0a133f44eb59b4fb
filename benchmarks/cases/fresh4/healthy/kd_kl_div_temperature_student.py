"""Healthy: knowledge distillation of a small student MLP from a fixed teacher's logits with
nn.KLDivLoss(reduction="batchmean") on log_softmax(student / T) against softmax(teacher / T),
scaled by T^2 (T = 4); no hard labels.

Source: haitongli/knowledge-distillation-pytorch issue #2 "kd loss"
(https://github.com/haitongli/knowledge-distillation-pytorch/issues/2), found with the `issues`
search "knowledge distillation KLDivLoss log_softmax temperature T*T student teacher pytorch":
"why softmax for teacher output, but log softmax for student output?" - the answer: KLDivLoss
takes log-probabilities as input and probabilities as target, which is why the two sides differ.

Setup: 20 standardized features; the teacher is a fixed random MLP 20-64-10 whose logits (std
about 3) are stored as the soft targets [N, 10] (float). Student MLP 20-64-10, KL divergence at
T = 4 times 16, Adam lr 1e-3, batch 64. The metric is agreement of the student's argmax with the
teacher's.

Why healthy: the targets are dense probability vectors, not class indices; the loss is zero only
when the student matches the teacher, it starts small (softened distributions are close to
uniform), and the T^2 factor keeps the gradient scale of the hard-label loss.

Verified (verify.py): the student agrees with the teacher on most held-out samples.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/haitongli/knowledge-distillation-pytorch/issues/2",
    "kind": "healthy",
    "bug": "healthy: student MLP distilled from teacher logits, KLDivLoss(log_softmax(s/T), softmax(t/T)) * T^2",
    "expect": {},
    "consequences": [],
}

T = 4.0


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    torch_state = torch.random.get_rng_state()
    torch.manual_seed(41)
    teacher = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 10))
    torch.random.set_rng_state(torch_state)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    with torch.no_grad():
        logits = teacher(x)
        logits = 3.0 * logits / logits.std()
    return x, logits


class DistillLoss(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.kl = nn.KLDivLoss(reduction="batchmean")

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        return self.kl(torch.log_softmax(student / T, dim=1), torch.softmax(teacher / T, dim=1)) * T * T


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))


def build_data():
    x, t = _rows(4000, 1)
    xv, tv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, t), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, tv), batch_size=400)


def build_loss():
    return DistillLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.7}
