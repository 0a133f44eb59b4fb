"""Broken: a ReLU RNN (identity-initialized recurrent weights) trained with SGD + momentum and no
gradient clipping: the gradients explode and the loss goes to inf/NaN.

Source: pytorch/pytorch issue #2623 "How to handle exploding/vanishing gradient in Pytorch and
negative loss values" (https://github.com/pytorch/pytorch/issues/2623), found with the `issues`
search "RNN loss becomes nan gradient explosion need clip_grad_norm". The reporter's character
RNN (the char-rnn classification tutorial adapted to a large data set) hit exploding gradients
and NaN losses until the gradients were clipped in train().

Bug: a recurrent net whose hidden state is carried through an unbounded ReLU with recurrent
weights near the identity (the IRNN recipe) has gradients that grow with the sequence length; an
unclipped SGD step with momentum on such a gradient throws the weights out of range.

Reproduction: sequences of 60 steps of 4 standardized features; the class (2) is the sign of the
sum of the first feature over the sequence (a memory task); nn.RNN(4, 64, nonlinearity="relu",
batch_first=True) with weight_hh initialized to the identity (Le et al., 2015), Linear(64, 2) on
the last output; CrossEntropyLoss; SGD lr 0.05 momentum 0.9; batch 32. The original is a
tanh-less char RNN with NLLLoss; the mechanism (an unbounded recurrence trained without clipping)
is the same.

Verified (verify.py): the training loss becomes non-finite within the budget, while the same setup
with the gradient norm clipped to 1 before each step (the fix; an optimizer that clips) trains.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/2623",
    "kind": "broken",
    "bug": "identity-initialized ReLU RNN on 60-step sequences trained with SGD momentum and no gradient clipping",
    "expect": {"ND301": "warn"},
    "consequences": ["ND204", "ND303", "ND402", "ND403", "ND404"],
}

STEPS = 60


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, STEPS, 4, generator=g)
    return x, (x[:, :, 0].sum(1) > 0).long()


class IRNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(4, 64, nonlinearity="relu", batch_first=True)
        with torch.no_grad():
            self.rnn.weight_hh_l0.copy_(torch.eye(64))
            self.rnn.bias_hh_l0.zero_()
        self.head = nn.Linear(64, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def build_model() -> nn.Module:
    return IRNN()


def build_data():
    x, y = _sequences(2000, 1)
    xv, yv = _sequences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


class ClippedSGD(torch.optim.SGD):
    """The fix: clip the gradient norm to 1 before every step, as the issue's train() does."""

    def step(self, closure=None):  # type: ignore[override]
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        return super().step(closure)


def fixed_optimizer(params):
    return ClippedSGD(params, lr=0.05, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["nonfinite", "worse_than_fix"],
    "margin": 0.1,
}
