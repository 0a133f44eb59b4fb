"""What kind of problem the target is, and which loss it really uses.

Checks need to know the task (classification with C classes, binary, regression) to know what a
plausible initial loss is or whether outputs and loss fit. Hints win; otherwise the loss decides,
and when the loss is a plain function it is identified by value: evaluated next to the standard
losses on the same batch, the one that matches is the one it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the universal alias
from torch import nn

from nndoctor.errors import TargetError

_LOSS_CLASSES: dict[type, str] = {
    nn.CrossEntropyLoss: "cross_entropy",
    nn.NLLLoss: "nll",
    nn.MSELoss: "mse",
    nn.L1Loss: "l1",
    nn.SmoothL1Loss: "smooth_l1",
    nn.HuberLoss: "huber",
    nn.BCELoss: "bce",
    nn.BCEWithLogitsLoss: "bce_with_logits",
}

_REFERENCE_LOSSES: dict[str, Any] = {
    "cross_entropy": F.cross_entropy,
    "nll": F.nll_loss,
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "smooth_l1": F.smooth_l1_loss,
    "bce_with_logits": lambda o, t: F.binary_cross_entropy_with_logits(o, t.to(o.dtype)),
    "bce": lambda o, t: F.binary_cross_entropy(o, t.to(o.dtype)),
}

CLASSIFICATION_LOSSES = {"cross_entropy", "nll"}
BINARY_LOSSES = {"bce", "bce_with_logits"}
REGRESSION_LOSSES = {"mse", "l1", "smooth_l1", "huber"}


@dataclass(frozen=True)
class TaskInfo:
    kind: str  # classification | binary | multilabel | regression | unknown
    num_classes: int | None
    loss_kind: str | None  # one of the keys above, or None when unidentified
    loss_inferred: bool  # True when nndoctor chose the loss because the recipe gave none
    hinted: bool  # True when the recipe's NNDOCTOR hints named the task
    output_shape: tuple[int, ...]
    target_shape: tuple[int, ...]
    target_dtype: str
    class_dim: int = 1  # the output's class axis: 1 ([N, C, ...]), or the last for [B, T, V] logits

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "num_classes": self.num_classes,
            "loss": self.loss_kind,
            "loss_inferred": self.loss_inferred,
            "hinted": self.hinted,
            "output_shape": list(self.output_shape),
            "target_shape": list(self.target_shape),
            "target_dtype": self.target_dtype,
        }


def identify_loss(loss_fn: Any, output: torch.Tensor, target: Any, value: float) -> str | None:
    """The standard loss `loss_fn` is, by type or else by matching its value on one batch."""
    for cls, kind in _LOSS_CLASSES.items():
        if isinstance(loss_fn, cls):
            return kind
    if not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
        return None
    if not math.isfinite(value):
        return None
    import warnings

    layouts = [(output, target)]
    axis = class_dim(tuple(output.shape), tuple(target.shape))
    if axis != 1 and not target.is_floating_point():  # per-token logits a loss function flattens
        layouts.append((output.reshape(-1, output.shape[-1]), target.reshape(-1)))
    for out, tgt in layouts:
        for kind, reference in _REFERENCE_LOSSES.items():
            try:
                with torch.no_grad(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ref = float(reference(out.float(), tgt))
            except Exception:  # noqa: BLE001 - a reference that does not apply is simply not it
                continue
            if math.isfinite(ref) and abs(ref - value) <= 1e-4 * max(1.0, abs(value)):
                return kind
    return None


def default_loss_for(target: Any, output: Any, hints: Mapping[str, Any]) -> nn.Module:
    """The loss nndoctor uses when the recipe defines none."""
    task = hints.get("task")
    if task == "classification":
        return nn.CrossEntropyLoss()
    if task in ("binary", "multilabel"):
        return nn.BCEWithLogitsLoss()
    if task == "regression":
        return nn.MSELoss()
    if isinstance(target, torch.Tensor):
        if not target.is_floating_point():
            return nn.CrossEntropyLoss()
        if isinstance(output, torch.Tensor) and output.shape == target.shape and _all_zero_or_one(target):
            return nn.BCEWithLogitsLoss()
    return nn.MSELoss()


def class_dim(out_shape: tuple[int, ...], target_shape: tuple[int, ...]) -> int:
    """Where an output keeps its classes: dim 1 (CrossEntropyLoss's [N, C, d1, ...]), or the last
    when the labels are shaped like the output without it ([B, T] tokens for [B, T, V] logits, which
    a loss function flattens to [B*T, V])."""
    last = len(out_shape) - 1
    if last >= 2 and target_shape == out_shape[:-1] and target_shape != out_shape[:1] + out_shape[2:]:
        return last
    return 1


def class_axis(loss_fn: Any, out_shape: tuple[int, ...], target_shape: tuple[int, ...]) -> int:
    """The class axis `loss_fn` reads: CrossEntropyLoss and NLLLoss always dim 1; a loss function of
    the user's own may flatten per-token logits (`class_dim`)."""
    if isinstance(loss_fn, (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)):
        return 1
    return class_dim(out_shape, target_shape)


def _could_index(target: torch.Tensor, out_shape: tuple[int, ...]) -> bool:
    """Integer targets that fit as class indices of the output's classes."""
    if len(out_shape) < 2 or target.numel() == 0:
        return True
    return bool(target.min() >= 0) and int(target.max()) < out_shape[class_dim(out_shape, tuple(target.shape))]


def _zero_one(target: torch.Tensor, out_shape: tuple[int, ...]) -> bool:
    """Float targets that are all 0 or 1, with one per output value."""
    if target.numel() == 0 or int(torch.Size(out_shape).numel()) != target.numel():
        return False
    return _all_zero_or_one(target)


def _all_zero_or_one(target: torch.Tensor) -> bool:
    return bool(((target == 0) | (target == 1)).all())


def _binary_kind(out_shape: tuple[int, ...]) -> str:
    """One output per sample is binary; several independent 0/1 outputs are multilabel."""
    return "binary" if (len(out_shape) <= 1 or out_shape[-1] == 1) else "multilabel"


def infer_task(
    loss_kind: str | None,
    output: Any,
    target: Any,
    hints: Mapping[str, Any],
    loss_inferred: bool,
    loss_fn: Any = None,
) -> TaskInfo:
    out_shape = tuple(output.shape) if isinstance(output, torch.Tensor) else ()
    tgt_shape = tuple(target.shape) if isinstance(target, torch.Tensor) else ()
    tgt_dtype = str(target.dtype).replace("torch.", "") if isinstance(target, torch.Tensor) else "?"
    kind = hints.get("task")
    if kind is None:
        if loss_kind in CLASSIFICATION_LOSSES:
            kind = "classification"
        elif loss_kind in BINARY_LOSSES:
            kind = _binary_kind(out_shape)
        elif loss_kind in REGRESSION_LOSSES:
            kind = "regression"
        elif isinstance(target, torch.Tensor) and not target.is_floating_point():
            # a custom loss with integer targets: class labels, unless they cannot index the output's
            # classes (sample ids a contrastive loss carries along, never reads as classes)
            kind = "classification" if _could_index(target, out_shape) else "unknown"
        elif isinstance(target, torch.Tensor) and _zero_one(target, out_shape):
            # a custom loss on 0/1 float targets shaped like the output: a focal or weighted BCE
            kind = _binary_kind(out_shape)
        elif isinstance(target, torch.Tensor):
            kind = "regression"
        else:
            kind = "unknown"
    # the token layout only where a loss function (not CrossEntropyLoss itself) may flatten it
    axis = class_axis(loss_fn, out_shape, tgt_shape)
    num_classes = hints.get("num_classes")
    if num_classes is None and kind == "classification" and len(out_shape) >= 2:
        num_classes = int(out_shape[axis])
    if num_classes is None and kind in ("binary",):
        num_classes = 2
    if kind not in ("classification", "binary", "multilabel", "regression", "unknown"):
        raise TargetError(f"NNDOCTOR['task'] is {kind!r}; use one of classification, binary, multilabel, regression.")
    return TaskInfo(
        kind=kind,
        num_classes=int(num_classes) if num_classes is not None else None,
        loss_kind=loss_kind,
        loss_inferred=loss_inferred,
        hinted="task" in hints,
        output_shape=out_shape,
        target_shape=tgt_shape,
        target_dtype=tgt_dtype,
        class_dim=axis,
    )
