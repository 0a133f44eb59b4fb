"""Dead units: hidden units that are zero for every sample of several batches.

A unit is dead where the input of a weighted layer (Linear/Conv, after the first) is exactly zero
for every sample: the ReLU before it, module or functional, never lets a value through, so no
gradient flows back through it either. Measured in eval mode without gradients (no dropout draw,
no batch-norm update: the measurement changes nothing), on the same first training batches at
init (`init_units`) and at the end of the short run (`short_run` calls `dead_unit_shares`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nndoctor.batches import first_tensor
from nndoctor.context import Context
from nndoctor.layers import CONVS, is_weighted, module_names
from nndoctor.probe import probe
from nndoctor.probes.loop import eval_mode

UNIT_BATCHES = 5  # the training batches a unit must be silent on; the same at init and after training


@dataclass
class DeadUnits:
    """One weighted layer's call: how many of the units feeding it are dead."""

    layer: str
    units: int
    dead: float  # share of its input units that are zero for every sample


@dataclass
class UnitActivity:
    layers: list[DeadUnits]
    batches: int


def dead_unit_shares(ctx: Context, model: nn.Module, batches: list[Any]) -> list[DeadUnits]:
    """Per weighted layer after the first (per call, for a layer used twice), the share of its
    input units that are zero on every sample of `batches`; one host transfer."""
    names = module_names(model)
    alive: dict[tuple[int, int], torch.Tensor] = {}
    labels: dict[tuple[int, int], str] = {}
    calls: dict[int, int] = {}
    seen = [False]

    def watch(module: nn.Module, inputs: tuple[Any, ...], _output: Any) -> None:
        first = not seen[0]
        seen[0] = True
        x = first_tensor(inputs)
        if first or x is None or not x.is_floating_point() or x.dim() < 2:
            return
        call = calls.get(id(module), 0)
        calls[id(module)] = call + 1
        key = (id(module), call)
        axis = 1 if isinstance(module, CONVS) and x.dim() >= 3 else x.dim() - 1
        reduce = [d for d in range(x.dim()) if d != axis]
        mask = (x.detach() != 0).any(dim=reduce)
        known = alive.get(key)
        if known is None or known.shape == mask.shape:
            alive[key] = mask if known is None else known | mask
            name = names.get(module, type(module).__name__)
            labels[key] = name if call == 0 else f"{name}#{call + 1}"

    handles = [m.register_forward_hook(watch) for m in model.modules() if is_weighted(m)]
    try:
        with torch.no_grad(), eval_mode(model):
            for batch in batches:
                calls.clear()
                seen[0] = False
                ctx.forward(model, batch)
    finally:
        for handle in handles:
            handle.remove()
    if not alive:
        return []
    keys = list(alive)
    shares = torch.stack([(~alive[k]).float().mean() for k in keys]).cpu().tolist()
    return [DeadUnits(labels[k], int(alive[k].numel()), share) for k, share in zip(keys, shares, strict=True)]


def units_after_training(ctx: Context, model: nn.Module) -> list[DeadUnits] | None:
    """The dead units of the trained model, or None when the measurement itself fails (a forward
    that behaves differently in eval mode): one check's measurement must not sink the run's."""
    try:
        return dead_unit_shares(ctx, model, ctx.train_batches()[:UNIT_BATCHES])
    except Exception:  # noqa: BLE001 - ND406 skips, ND404/ND405 still get their run
        return None


@probe("init_units", "dead units at init, measured as the short run measures them at its end", cost="forward")
def init_units(ctx: Context, model: nn.Module) -> UnitActivity:
    batches = ctx.train_batches()[:UNIT_BATCHES]
    return UnitActivity(layers=dead_unit_shares(ctx, model, batches), batches=len(batches))
