"""Layers and parameters a model keeps where torch does not look: plain Python containers.

`nn.Module` registers a submodule or an `nn.Parameter` only when it is assigned as an attribute
(or held by ModuleList / ModuleDict / ParameterList / ParameterDict). One kept in a list, tuple,
dict or set attribute is invisible to `.parameters()`, `.to(device)`, `state_dict()` and
`train()` / `eval()`: an optimizer built from `model.parameters()` never trains it, a checkpoint
never saves it. `find_unregistered` walks attribute values to find them; an object that is also
registered somewhere in the model (a deliberate second reference) is told apart by identity.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

# torch's own bookkeeping on every module (hook dicts, _parameters, training, ...): never user state
_TORCH_ATTRIBUTES = frozenset(vars(nn.Module()))
_CONTAINERS = (list, tuple, dict, set, frozenset)
_DEPTH = 3  # containers inside containers followed this deep: `[[Linear, ReLU], ...]` is common
_SCANNED = 10_000  # items looked at per container


@dataclass
class Stray:
    """One attribute of one module that holds unregistered layers or tensors."""

    path: str  # "model.blocks", "model.encoder.heads"
    container: str  # list | tuple | dict | set | frozenset | tensor (a bare attribute)
    module_kinds: list[str]  # class names of the unregistered modules, in container order
    tensors: int  # unregistered parameters / grad-requiring tensors held directly (not via a module)
    trainable: int  # elements that require grad: what no optimizer over model.parameters() trains
    frozen: int  # parameter elements that do not require grad
    buffers: int  # buffer elements (BatchNorm running statistics ...), never moved by .to()
    mode_dependent: list[str] = field(default_factory=list)  # Dropout / BatchNorm kinds train()/eval() miss
    live: list[torch.Tensor] = field(default_factory=list, repr=False)  # the tensors themselves
    modules: list[nn.Module] = field(default_factory=list, repr=False)


def find_unregistered(model: nn.Module) -> list[Stray]:
    """Every attribute (of the model or a submodule) that holds layers or tensors torch does not see."""
    registered_modules = {id(m) for m in model.modules()}
    registered_tensors = {id(t) for t in model.parameters()} | {id(b) for b in model.buffers()}
    root = "model"
    found: list[Stray] = []
    for name, module in model.named_modules():
        owner = f"{root}.{name}" if name else root
        for attribute, value in vars(module).items():
            if attribute in _TORCH_ATTRIBUTES:
                continue
            if isinstance(value, torch.Tensor):
                # a bare leaf tensor that requires grad was meant as a parameter; a non-leaf one is
                # computed from parameters (old weight_norm caches `weight` that way) and is fine
                if value.is_leaf and value.requires_grad and id(value) not in registered_tensors:
                    found.append(describe_stray(f"{owner}.{attribute}", "tensor", [], [value]))
                continue
            if not isinstance(value, _CONTAINERS):
                continue
            modules: list[nn.Module] = []
            tensors: list[torch.Tensor] = []
            for item in _items(value, _DEPTH):
                if isinstance(item, nn.Module) and id(item) not in registered_modules:
                    if all(id(item) != id(m) for m in modules):
                        modules.append(item)
                elif isinstance(item, torch.Tensor) and id(item) not in registered_tensors:
                    wanted = isinstance(item, nn.Parameter) or (item.is_leaf and item.requires_grad)
                    if wanted and all(item is not t for t in tensors):
                        tensors.append(item)
            if modules or tensors:
                found.append(describe_stray(f"{owner}.{attribute}", type(value).__name__, modules, tensors))
    return found


def _items(value: Any, depth: int) -> Iterator[Any]:
    """The leaves of nested plain containers (dict values, not keys), `depth` levels deep; the first
    `_SCANNED` items of each (a vocabulary list of a million strings holds no layers worth the time)."""
    values = value.values() if isinstance(value, dict) else value
    for item in itertools.islice(values, _SCANNED):
        if isinstance(item, _CONTAINERS) and not isinstance(item, (str, bytes)):
            if depth > 1:
                yield from _items(item, depth - 1)
        else:
            yield item


def describe_stray(path: str, container: str, modules: list[nn.Module], tensors: list[torch.Tensor]) -> Stray:
    """What `modules` and `tensors` held outside registration amount to (kinds, elements, train/eval layers)."""
    from nndoctor.layers import BATCH_NORMS, DROPOUTS

    seen: set[int] = set()
    params: list[torch.Tensor] = []
    buffers: list[torch.Tensor] = []
    for module in modules:
        for p in module.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        for b in module.buffers():
            if id(b) not in seen:
                seen.add(id(b))
                buffers.append(b)
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            params.append(t)
    inner = [m for top in modules for m in top.modules()]
    return Stray(
        path=path,
        container=container,
        module_kinds=[type(m).__name__ for m in modules],
        tensors=len(tensors),
        trainable=sum(p.numel() for p in params if p.requires_grad),
        frozen=sum(p.numel() for p in params if not p.requires_grad),
        buffers=sum(b.numel() for b in buffers if b.is_floating_point()),
        mode_dependent=sorted(
            {type(m).__name__ for m in inner if isinstance(m, (*DROPOUTS, *BATCH_NORMS)) and _acts(m)}
        ),
        live=params + buffers,
        modules=modules,
    )


def _acts(module: nn.Module) -> bool:
    """A dropout with p > 0, or any batch norm: layers whose behaviour train()/eval() switches."""
    p = getattr(module, "p", None)
    return p is None or p > 0


def move_strays(strays: list[Stray], device: torch.device) -> int:
    """Move the unregistered tensors of nndoctor's private copy to `device` (`.to()` skipped them),
    so that the run can report them instead of dying on a device mismatch; returns how many moved."""
    moved = 0
    with torch.no_grad():
        for stray in strays:
            for module in stray.modules:
                module.to(device)
            for tensor in stray.live:
                if tensor.device != device:
                    try:
                        tensor.data = tensor.data.to(device)
                    except RuntimeError:  # a tensor type that cannot be swapped in place: leave it
                        continue
                    moved += 1
    return moved
