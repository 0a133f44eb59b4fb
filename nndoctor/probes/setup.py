"""The first probe: can the target run one batch at all, and what task is it?

Every other probe depends on this one, so its errors are usage errors (exit 2) with a message
that names the recipe function involved, not findings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from nndoctor.context import Context, batch_size_of, describe_shapes
from nndoctor.errors import TargetError
from nndoctor.registry import probe
from nndoctor.tasks import TaskInfo, default_loss_for, identify_loss, infer_task


@dataclass
class Setup:
    task: TaskInfo
    batch_size: int | None
    train_batches: int
    val_batches: int | None
    first_loss: float
    loss_name: str
    blocked: str | None = None  # why the loss cannot be computed at all (a data bug ND102 reports)


@probe("setup", "load one batch, run forward and loss", cost="static")
def setup(ctx: Context) -> Setup:
    batches = ctx.train_batches()
    val = ctx.val_batches()
    batch = batches[0]
    model = ctx.fresh_model()
    try:
        with torch.no_grad():
            output, target = ctx.forward(model, batch)
    except TargetError:
        raise
    except Exception as exc:
        where = "your `forward(model, batch)`" if ctx.user_forward else "the model's forward"
        raise TargetError(
            f"Running {where} on the first training batch raised {type(exc).__name__}: {exc}. "
            f"The batch holds {describe_shapes(batch)}. Check the model's expected input shape "
            "and dtype against the data, or define `forward(model, batch)` in the recipe."
        ) from exc
    loss_inferred = ctx.loss_fn is None
    if loss_inferred:
        ctx.loss_fn = default_loss_for(target, output, ctx.hints)
    blocked = labels_out_of_range(output, target, ctx.loss_fn)
    if blocked is None:
        try:
            with torch.no_grad():
                loss = ctx.loss(output, target)
        except Exception as exc:
            raise TargetError(
                f"The loss ({_loss_label(ctx.loss_fn)}) raised {type(exc).__name__}: {exc}. It got "
                f"output {describe_shapes(output)} and target {describe_shapes(target)}. Make "
                "`build_loss()` match the model's output and the targets (or define `forward`)."
            ) from exc
    else:
        # Never call the loss on these labels: on CUDA it is a device-side assert that kills the
        # process. Probes that need the loss skip, and ND102 reports the cause.
        ctx.blocked = blocked
        task = infer_task(
            identify_loss(ctx.loss_fn, output, target, math.nan), output, target, ctx.hints, loss_inferred
        )
        return Setup(
            task,
            batch_size_of(batch),
            len(batches),
            len(val) if val is not None else None,
            math.nan,
            _loss_label(ctx.loss_fn),
            blocked,
        )
    if not isinstance(loss, torch.Tensor):
        raise TargetError(
            f"The loss ({_loss_label(ctx.loss_fn)}) returned {'an' if type(loss).__name__[0] in 'aeiou' else 'a'} "
            f"{type(loss).__name__}, not a torch.Tensor; nndoctor needs a scalar tensor it can call backward() on. "
            "Make `build_loss()` (or diagnose's loss_fn) return a loss computed with torch ops, e.g. "
            "nn.CrossEntropyLoss(), without .item() or float()."
        )
    if loss.numel() != 1:
        raise TargetError(
            f"The loss ({_loss_label(ctx.loss_fn)}) returned a tensor of shape "
            f"{list(loss.shape)}, not a scalar. Reduce it in `build_loss()` (or diagnose's loss_fn), e.g. "
            "reduction='mean' or .mean(), so that backward() has a single value to differentiate."
        )
    value = float(loss)
    kind = identify_loss(ctx.loss_fn, output, target, value)
    task = infer_task(kind, output, target, ctx.hints, loss_inferred)
    return Setup(
        task=task,
        batch_size=batch_size_of(batch),
        train_batches=len(batches),
        val_batches=len(val) if val is not None else None,
        first_loss=value if math.isfinite(value) else float("nan"),
        loss_name=_loss_label(ctx.loss_fn),
    )


def labels_out_of_range(output: Any, target: Any, loss_fn: Any) -> str | None:
    """Class indices outside [0, C) for a class-index loss (ignore_index excepted), or None."""
    index_losses = (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)
    if not (isinstance(loss_fn, index_losses) or not isinstance(loss_fn, torch.nn.Module)):
        return None
    if not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
        return None
    if target.is_floating_point() or output.dim() < 2 or target.dim() != output.dim() - 1:
        return None
    ignore = getattr(loss_fn, "ignore_index", -100)
    labels = target[target != ignore]
    if labels.numel() == 0:
        return None
    low, high = (int(v) for v in torch.stack([labels.min(), labels.max()]).cpu())
    classes = int(output.shape[1])
    if low >= 0 and high < classes:
        return None
    return (
        f"class labels run from {low} to {high} but the output has {classes} classes (valid labels "
        f"0..{classes - 1}), so the loss cannot be computed"
    )


def _loss_label(loss_fn: Any) -> str:
    if loss_fn is None:
        return "none"
    if isinstance(loss_fn, torch.nn.Module):
        return type(loss_fn).__name__
    return getattr(loss_fn, "__qualname__", type(loss_fn).__name__)
