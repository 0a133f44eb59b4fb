"""Broken: knowledge distillation with nn.KLDivLoss given the student's softmax probabilities as its
input. KLDivLoss expects log-probabilities as input (and probabilities as target); with
probabilities it computes sum(t * (log t - p)), which is negative, is minimized by putting all of
the student's mass on the teacher's top class, and never asks the student to match the teacher's
soft distribution.

Source: microsoft/ProDA issue #20 "question about the loss formulation of kl_div"
(https://github.com/microsoft/ProDA/issues/20), found with the `issues` search "KLDivLoss input
should be log probabilities softmax passed negative loss distillation": the self-distillation
loss called `F.kl_div(student, teacher)` with `student = F.softmax(...)`; the maintainer
confirmed it is a bug and that the student should be `F.log_softmax(...)`.

Reproduction: a fixed random teacher MLP (20-64-10, tanh) produces soft targets (softmax of its
logits at temperature 2) for 20-dimensional Gaussian inputs; the student MLP 20-64-10 returns
logits and the recipe's loss is KLDivLoss(reduction="batchmean")(softmax(student / 2), targets).
Adam lr 1e-3, batch 64. The fix uses log_softmax for the student. The metric is the negative
KL divergence KL(teacher || student) on the validation set (higher is better, 0 is a perfect
match): matching the teacher's distribution is what distillation is for.

Verified (verify.py): the training loss is negative, and the fixed loss ends much closer to the
teacher's distribution.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/microsoft/ProDA/issues/20",
    "kind": "broken",
    "bug": "KLDivLoss given the student's softmax probabilities instead of log-probabilities",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}

T = 2.0


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(17)
    w1, w2 = torch.randn(20, 64, generator=gen) / 20**0.5, torch.randn(64, 10, generator=gen) / 8
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    logits = torch.tanh(x @ w1) @ w2
    logits = 3.0 * logits / logits.std()
    return x, torch.softmax(logits / T, dim=1)


class SoftmaxKL(nn.Module):
    def __init__(self, log_input: bool) -> None:
        super().__init__()
        self.log_input = log_input
        self.kl = nn.KLDivLoss(reduction="batchmean")

    def forward(self, student: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        s = student / T
        return self.kl(torch.log_softmax(s, dim=1) if self.log_input else torch.softmax(s, dim=1), target)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))


def build_data():
    x, t = _rows(4000, 1)
    xv, tv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, t), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, tv), batch_size=400)


def build_loss():
    return SoftmaxKL(log_input=False)


def fixed_loss():
    return SoftmaxKL(log_input=True)


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def neg_kl_to_teacher(out: torch.Tensor, t: torch.Tensor) -> float:
    logq = torch.log_softmax(out / T, dim=1)
    return -(t * (t.clamp_min(1e-12).log() - logq)).sum(1).mean().item()


VERIFY = {
    "metric": neg_kl_to_teacher,
    "epochs": 6,
    "fix": {"build_loss": fixed_loss},
    "claims": ["negative_loss", "worse_than_fix"],
    "margin": 0.05,
}
