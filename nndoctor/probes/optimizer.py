"""The user's optimizer's `zero_grad()`, tested: after it, no parameter it holds may keep a gradient.

Gradients accumulate in `.grad` until something clears them, and the training loop trusts
`optimizer.zero_grad()` to. A subclass that overrides it (with `pass`, or by clearing copies of
the parameters, or the wrong param groups) silently turns every step into a step along the sum of
all gradients so far. The probe fills the gradients with one backward pass, calls the method the
way loops do (`zero_grad()`, and `zero_grad(set_to_none=False)` when the signature takes it), and
counts the parameters still holding a non-zero gradient.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import torch
from torch import nn

from nndoctor.context import Context
from nndoctor.errors import Skip
from nndoctor.probe import probe


@dataclass
class ZeroGradCall:
    call: str  # "zero_grad()" or "zero_grad(set_to_none=False)"
    left: list[str]  # parameters still holding a non-zero gradient afterwards
    error: str | None = None  # the call raised


@dataclass
class ZeroGradStats:
    optimizer: str
    defined_in: str  # the class whose zero_grad the optimizer uses ("Optimizer", "ClippedAdam")
    torch_zero_grad: bool  # that class is torch's own
    params: int  # parameters in its groups that had a non-zero gradient before each call
    calls: list[ZeroGradCall] = field(default_factory=list)


def _defining_class(optimizer: torch.optim.Optimizer) -> tuple[str, bool]:
    """The class whose zero_grad() the optimizer runs, and whether it is torch's."""
    for cls in type(optimizer).__mro__:
        if "zero_grad" in vars(cls):
            module = cls.__module__ or ""
            return cls.__qualname__, module == "torch" or module.startswith("torch.")
    return "?", False


@probe("zero_grad_test", "the optimizer's zero_grad() clears the gradients", cost="backward")
def zero_grad_test(ctx: Context, model: nn.Module) -> ZeroGradStats:
    batch = ctx.train_batches()[0]
    optimizer = ctx.make_optimizer(model)
    names = {id(p): name for name, p in model.named_parameters()}
    members = [p for group in optimizer.param_groups for p in group["params"]]

    def fill() -> list[torch.nn.Parameter]:
        model.zero_grad(set_to_none=True)  # the module's own method: independent of the optimizer
        loss = ctx.loss(*ctx.forward(model, batch))
        if not loss.requires_grad:
            raise Skip("the loss does not require grad, so there are no gradients to clear (see ND302)")
        loss.backward()
        return holding()

    def holding() -> list[torch.nn.Parameter]:
        with_grad = [p for p in members if p.grad is not None]
        if not with_grad:
            return []
        flags = torch.stack([(p.grad != 0).any() for p in with_grad]).cpu().tolist()
        return [p for p, nonzero in zip(with_grad, flags, strict=True) if nonzero]

    takes_flag = "set_to_none" in inspect.signature(optimizer.zero_grad).parameters
    attempts: list[tuple[str, dict[str, bool]]] = [("zero_grad()", {})] + (
        [("zero_grad(set_to_none=False)", {"set_to_none": False})] if takes_flag else []
    )
    stats = ZeroGradStats(type(optimizer).__name__, *_defining_class(optimizer), 0)
    for label, kwargs in attempts:
        before = fill()
        if not before:
            raise Skip("no parameter in the optimizer received a non-zero gradient (see ND302)")
        stats.params = len(before)
        try:
            optimizer.zero_grad(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a zero_grad that raises is a finding, not a crash
            stats.calls.append(ZeroGradCall(label, [], f"{type(exc).__name__}: {exc}"))
            continue
        stats.calls.append(ZeroGradCall(label, [names.get(id(p), "?") for p in holding()]))
    return stats
