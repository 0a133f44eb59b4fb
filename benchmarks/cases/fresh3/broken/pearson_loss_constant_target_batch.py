"""Broken: a hand-written Pearson-correlation loss, 1 - cov(pred, y) / (pred.std() * y.std()), on a
zero-inflated count target: the first batch whose targets are all 0 has y.std() = 0 and the
loss is 0/0 = NaN.

Source: allenai/allennlp pull request #3101 "Fix pearson correlation.py"
(https://github.com/allenai/allennlp/pull/3101), found with the `issues` search "pearson
correlation loss nan std zero batch": "the input tensor may be, for example (a batch of label), a
tensor ([[0.,0.,0.,0.], [0.,0.,0.,0.]]), there will be a case where ... sqrt(labels_variance) is
zero, so a judgment is added here to prevent the denominator from being zero". See also
NVIDIA-Genomics-Research/AtacWorks pull request #104 "Preventing NaN output from pearson
correlation loss function".

Bug: the loss divides by a batch statistic that can be exactly 0. With 65% zero targets and
batches of 8, about 3% of the batches are all zeros; the first one met during training gives a
NaN loss and NaN gradients. The starting batches are finite; within ~150 steps such a batch is
all but certain.

Reproduction: 16 standardized features, a count target that is 0 with probability 0.65 and
otherwise Poisson with a feature-dependent rate, MLP 16-64-64-1, the loss above, Adam lr 1e-3,
batch 8.

Verified (verify.py): the training loss becomes NaN within the budget, while the same loss with
an epsilon in the denominator (the fix) trains to a finite, positive validation correlation
(about 0.16: the zero-inflated target is noisy).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/allenai/allennlp/pull/3101",
    "kind": "broken",
    "bug": "hand-written Pearson loss divides by the batch std of the targets, which is 0 on an all-zero batch",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.randn(16, generator=torch.Generator().manual_seed(19))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g)
    rate = 3.0 * torch.exp(0.5 * torch.tanh(x @ w / 3.0))
    y = torch.poisson(rate, generator=g) * (torch.rand(n, generator=g) > 0.65).float()
    return x, y


class PearsonLoss(nn.Module):
    def __init__(self, eps: float = 0.0) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        pc, tc = pred - pred.mean(), target - target.mean()
        corr = (pc * tc).mean() / (pc.pow(2).mean().sqrt() * tc.pow(2).mean().sqrt() + self.eps)
        return 1 - corr


def correlation(out: torch.Tensor, y: torch.Tensor) -> float:
    out, y = out.reshape(-1) - out.mean(), y.reshape(-1) - y.mean()
    return float((out * y).sum() / (out.norm() * y.norm() + 1e-12))


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def build_model() -> nn.Module:
    return MLP()


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return PearsonLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_loss():
    return PearsonLoss(eps=1e-6)


VERIFY = {
    "metric": correlation,
    "epochs": 3,
    "fix": {"build_loss": fixed_loss},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
