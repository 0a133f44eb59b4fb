"""Broken: an optimizer subclass whose zero_grad() never clears the gradients.

`ClippedAdam` wraps Adam to clip gradients in `step()` and overrides `zero_grad()` to "let the
wrapper manage the gradients", which in the end does nothing. Modeled on ColossalAI PR #1422
("zero optim prevents calling inner optim.zero_grad"): an optimizer wrapper whose zero_grad()
never reached the optimizer that held the gradients. Nothing raises: backward() keeps adding into
`.grad`, so each step follows the sum of every gradient so far. With a plain loop for 20 epochs
the stock Adam reaches 96% validation accuracy on digits, this one 85% (with SGD + momentum the
same override ends at 10%: benchmarks/calibrate_new_checks.py nd305).
Fix: delete the override, or call `super().zero_grad(set_to_none)` in it.

Must fire:
- ND305 (zero-grad-ineffective) fail: every parameter keeps its gradient after zero_grad().
"""

import torch
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

from nndoctor.samples.datasets import digits_loaders

NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND305": "fail"}


class ClippedAdam(torch.optim.Adam):
    """Adam with per-step gradient-norm clipping."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, max_norm: float = 5.0) -> None:
        super().__init__(params, lr=lr)
        self.max_norm = max_norm

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        for group in self.param_groups:
            torch.nn.utils.clip_grad_norm_(group["params"], self.max_norm)
        return super().step(closure)

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass  # BUG: meant to be handled elsewhere; nothing ever clears the gradients


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def build_data() -> tuple[DataLoader, DataLoader]:
    return digits_loaders(batch_size=64)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return ClippedAdam(params, lr=1e-3)
