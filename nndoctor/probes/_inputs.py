"""Seeing the model's own input, whatever the recipe's forward does with the batch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nndoctor.batches import map_tensors


@dataclass
class CapturedInput:
    """The first tensor the model received in a forward call (see `watch_input`)."""

    tensor: torch.Tensor | None = None
    integer: bool = False  # the model's input is integer ids (no input gradient exists)


@contextlib.contextmanager
def watch_input(model: nn.Module, requires_grad: bool = False) -> Iterator[CapturedInput]:
    """Capture the model's input in its next forward call.

    With `requires_grad`, the input is replaced by a differentiable copy, so gradients with
    respect to it can be taken (batch independence, graph depth).
    """
    captured = CapturedInput()

    def hook(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if captured.tensor is not None or captured.integer:
            return None  # only the outermost call: the model's own input
        done = False

        def swap_first(tensor: torch.Tensor) -> torch.Tensor:
            nonlocal done
            if done:
                return tensor
            done = True
            if not tensor.is_floating_point():
                captured.integer = True
                captured.tensor = None if requires_grad else tensor
                return tensor
            captured.tensor = tensor.detach().clone().requires_grad_(True) if requires_grad else tensor
            return captured.tensor

        new_args = map_tensors(args, swap_first)
        new_kwargs = map_tensors(kwargs, swap_first)
        return (new_args, new_kwargs) if requires_grad else None

    handle = model.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield captured
    finally:
        handle.remove()
