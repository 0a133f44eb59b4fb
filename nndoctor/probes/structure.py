"""How the user's model is put together: what torch's module registration sees, and what it misses.

Read off the user's own model object (never run, never changed): the private copy is a deep copy
of it, so both hold the same structure.
"""

from __future__ import annotations

from dataclasses import dataclass

from nndoctor.context import Context
from nndoctor.probe import probe
from nndoctor.registration import Stray, find_unregistered


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
