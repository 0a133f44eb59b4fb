"""Broken: a hand-written softmax cross-entropy, -sum(onehot * log(exp(z) / sum(exp(z)))), turns
NaN once a logit grows past ~88 during training and exp() overflows float32.

Source: "Why naive softmax produces NaNs on GPUs: use LogSumExp for numerically stable
cross-entropy" (https://saipien.org/why-naive-softmax-produces-nans-on-gpus-use-logsumexp-for-numerically-stable-cross-entropy/),
found with the `pages` search "custom softmax cross entropy torch.log(softmax) loss becomes nan
after some iterations": "Implementing softmax as exp(logits)/sum(exp(logits)) will occasionally
overflow or underflow ... and produce infinite losses and NaN gradients"; the fix is the
LogSumExp form (F.cross_entropy / log_softmax on the raw logits).

Bug: exp(z) is inf in float32 for z > 88.7, so the probability of the winning class is inf/inf =
NaN (and a losing class whose probability underflows to 0 gives log(0) = -inf, times its one-hot
0 = NaN). At initialization the logits are small and the loss is finite; a confident classifier
trained with a large step size grows its logits past the limit within a few dozen steps.

Reproduction: 10 Gaussian classes in 32 unstandardized features (scale 4), MLP 32-128-10, the
loss above as an nn.Module on integer labels (one-hot built inside), SGD lr 0.1 momentum 0.9,
batch 64.

Verified (verify.py): the training loss becomes NaN within the budget, while nn.CrossEntropyLoss
(the fix) on the same model, data and optimizer trains to high accuracy.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://saipien.org/why-naive-softmax-produces-nans-on-gpus-use-logsumexp-for-numerically-stable-cross-entropy/",
    "kind": "broken",
    "bug": "hand-written softmax cross-entropy log(exp(z)/exp(z).sum()) overflows to NaN once logits pass ~88",
    "expect": {"ND204": "warn"},
    "consequences": ["ND402", "ND404"],
}

CLASSES = 10


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres = 1.5 * torch.randn(CLASSES, 32, generator=torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = 4.0 * (centres[y] + torch.randn(n, 32, generator=g))
    return x, y


class NaiveSoftmaxCrossEntropy(nn.Module):
    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        e = torch.exp(logits)
        probs = e / e.sum(dim=1, keepdim=True)
        onehot = nn.functional.one_hot(target, logits.shape[1]).float()
        return -(onehot * torch.log(probs)).sum(dim=1).mean()


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, CLASSES))


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return NaiveSoftmaxCrossEntropy()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def fixed_loss():
    return nn.CrossEntropyLoss()


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_loss": fixed_loss},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.2,
}
