"""How the user's model is put together: what torch's module registration sees, and what it misses.

Read off the user's own model object (never run, never changed): the private copy is a deep copy
of it, so both hold the same structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nndoctor.context import Context
from nndoctor.probe import probe
from nndoctor.registration import Stray, describe_stray, find_unregistered


@dataclass
class RegistrationStats:
    strays: list[Stray]
    registered_parameters: int  # elements in model.parameters()
    registered_trainable: int


@probe("registration", "layers and tensors kept outside torch's module registration", cost="static")
def registration(ctx: Context) -> RegistrationStats:
    model = ctx.user_model
    params = list(model.parameters())
    return RegistrationStats(
        strays=find_unregistered(model),
        registered_parameters=sum(p.numel() for p in params),
        registered_trainable=sum(p.numel() for p in params if p.requires_grad),
    )


@dataclass
class ForwardStrays:
    """Layers that forward() runs but the model does not hold: made inside forward() on every call, or
    kept outside the model (a global, a closure). The static scan of attributes cannot see either."""

    kinds: list[str]  # class names of the outermost such layers called in one forward pass, in call order
    trainable: int  # their trainable parameter elements
    mode_dependent: list[str]  # Dropout / BatchNorm kinds among them, which train()/eval() never reach
    created_per_call: bool  # a second forward pass ran different layer objects: new weights every call


def _unregistered_calls(ctx: Context, model: nn.Module, known: set[int]) -> list[nn.Module]:
    """The modules one forward pass calls that are neither in `model.modules()` nor in `known`."""
    called: list[nn.Module] = []
    seen: set[int] = set()

    def hook(module: nn.Module, _args: object) -> None:
        if id(module) not in known and id(module) not in seen:
            seen.add(id(module))
            called.append(module)

    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        with torch.no_grad():
            ctx.forward(model, ctx.train_batches()[0])
    finally:
        handle.remove()
    inner = {id(child) for m in called for child in m.modules() if child is not m}
    return [m for m in called if id(m) not in inner]


@probe("forward_strays", "layers a forward pass runs that the model does not hold", cost="forward")
def forward_strays(ctx: Context, model: nn.Module) -> ForwardStrays:
    # the layers ND107's attribute scan already names (on this private copy: its own objects)
    known = {id(m) for m in model.modules()}
    known |= {id(inner) for s in find_unregistered(model) for top in s.modules for inner in top.modules()}
    first = _unregistered_calls(ctx, model, known)
    second = _unregistered_calls(ctx, model, known) if first else []
    held = describe_stray("forward", "forward", first, [])
    return ForwardStrays(
        kinds=held.module_kinds,
        trainable=held.trainable,
        mode_dependent=held.mode_dependent,
        created_per_call=bool(first) and {id(m) for m in first}.isdisjoint(id(m) for m in second),
    )
