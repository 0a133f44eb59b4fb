"""What one batch reveals about the target before any experiment: the loss and the task.

`resolve_setup` runs the first training batch through the model and the loss. The loss the recipe
gave (or the one inferred for it), the task, and whether the labels even fit the output are part
of its result, which the context carries; nothing is patched later. Its errors are usage errors
(exit 2) with a message that names the recipe function involved: a target that cannot run one
batch has no findings, only a problem to fix.
"""

from __future__ import annotations

import contextlib
import math
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nndoctor.batches import Batch, batch_size_of, describe_shapes, integer_tensors, marked_inside_rows
from nndoctor.errors import NndoctorError, TargetError, UserCodeExit
from nndoctor.loss_calls import LossCall, recording_loss_calls
from nndoctor.tasks import TaskInfo, class_axis, default_loss_for, identify_loss, infer_task


@dataclass(frozen=True)
class Setup:
    task: TaskInfo
    batch_size: int | None
    train_batches: int
    val_batches: int | None
    first_loss: float
    loss_name: str
    loss_fn: Callable[..., Any]
    blocked: str | None = None  # why the loss cannot be computed at all (a data bug ND102 reports)
    blocked_fix: str | None = None  # what to do about it, when it is not the labels' range
    blocked_by: str = "ND102"  # the check that reports `blocked` (ND105: BatchNorm on a batch of one)
    # constant targets the loss does not read (a placeholder column: a BPR or contrastive loss on
    # the outputs alone); None when the targets vary or it could not be told
    targets_unread: bool | None = None
    # the functional losses the loss called on the first batch, with summaries of their arguments
    loss_calls: tuple[LossCall, ...] = ()
    # the batch's labels are its token ids, shifted or not: language modelling, whose accuracy has
    # a ceiling set by the text itself (its entropy), not by 100%
    next_token_targets: bool = False
    # (label, its share of the labels) when the loss's ignore_index is a class the output predicts
    # and the ignored labels sit between other labels inside the sequences, not as padding at their ends
    ignored_class: tuple[int, float] | None = None


def _user_step(label: str, batch: Batch, func: Callable[[], Any]) -> Any:
    try:
        return func()
    except NndoctorError:
        raise
    except SystemExit as exc:
        raise UserCodeExit(f"{label} called sys.exit({exc.code!r}) on the first training batch.") from None
    except Exception as exc:
        raise TargetError(
            f"Running {label} on the first training batch raised {type(exc).__name__}: {exc}. "
            f"The batch holds {describe_shapes(batch)}. Check the model's expected input shape "
            "and dtype against the data, or define `forward(model, batch)` in the recipe."
        ) from exc


def resolve_setup(
    model: nn.Module,
    batches: Sequence[Batch],
    forward: Callable[[nn.Module, Batch], tuple[Any, Any]],
    loss_fn: Callable[..., Any] | None,
    hints: Mapping[str, Any],
    user_forward: bool,
    val_batches: int | None = None,
) -> Setup:
    batch = batches[0]
    where = "your `forward(model, batch)`" if user_forward else "the model's forward"
    single = None
    with torch.no_grad():
        try:
            output, target = _user_step(where, batch, lambda: forward(model, batch))
        except TargetError as exc:
            single = _single_sample_batchnorm(exc.__cause__)
            if single is None:
                raise
            with _eval_mode(model):  # what the output looks like, for the task, from the mode that runs it
                output, target = _user_step(where, batch, lambda: forward(model, batch))
    loss_inferred = loss_fn is None
    loss = loss_fn if loss_fn is not None else default_loss_for(target, output, hints)
    label = loss_label(loss)
    size = batch_size_of(batch)

    def blocked_setup(why: str, fix: str | None = None, by: str = "ND102") -> Setup:
        """A setup whose loss is never called: the probes that need it skip, and `by` reports why."""
        task = infer_task(identify_loss(loss, output, target, math.nan), output, target, hints, loss_inferred, loss)
        return Setup(task, size, len(batches), val_batches, math.nan, label, loss, why, fix, by)

    if single is not None:
        return blocked_setup(*single, by="ND105")
    blocked = labels_out_of_range(output, target, loss)
    if blocked is not None:
        # Never call the loss on these labels: on CUDA it is a device-side assert that kills the
        # process. Probes that need the loss skip, and ND102 reports the cause.
        return blocked_setup(blocked)
    try:
        with torch.no_grad(), recording_loss_calls() as calls:
            value_tensor = loss(output, target)
    except NndoctorError:
        raise
    except SystemExit as exc:
        raise UserCodeExit(f"The loss ({label}) called sys.exit({exc.code!r}) on the first training batch.") from None
    except Exception as exc:
        floats = float_class_labels(output, target, exc)
        if floats is not None:
            return blocked_setup(*floats)
        logits = probabilities_expected(output, loss, exc)
        if logits is not None:
            return blocked_setup(*logits, by="ND103")
        refused = loss_refused(output, target, label, exc)
        if refused is not None:
            return blocked_setup(*refused, by="ND103")
        raise TargetError(
            f"The loss ({label}) raised {type(exc).__name__}: {exc}. It got "
            f"output {describe_shapes(output)} and target {describe_shapes(target)}. Make "
            "`build_loss()` match the model's output and the targets (or define `forward`)."
        ) from exc
    if not isinstance(value_tensor, torch.Tensor):
        kind = type(value_tensor).__name__
        raise TargetError(
            f"The loss ({label}) returned {'an' if kind[:1] in 'aeiouAEIOU' else 'a'} {kind}, not a torch.Tensor; "
            "nndoctor needs a scalar tensor it can call backward() on. Make `build_loss()` (or diagnose's loss_fn) "
            "return a loss computed with torch ops, e.g. nn.CrossEntropyLoss(), without .item() or float()."
        )
    if value_tensor.numel() != 1:
        raise TargetError(
            f"The loss ({label}) returned a tensor of shape {list(value_tensor.shape)}, not a scalar. Reduce it in "
            "`build_loss()` (or diagnose's loss_fn), e.g. reduction='mean' or .mean(), so that backward() has a "
            "single value to differentiate."
        )
    value = float(value_tensor)
    task = infer_task(identify_loss(loss, output, target, value), output, target, hints, loss_inferred, loss)
    first = value if math.isfinite(value) else math.nan
    return Setup(
        task,
        size,
        len(batches),
        val_batches,
        first,
        label,
        loss,
        targets_unread=_unread(loss, output, target, value),
        loss_calls=tuple(calls),
        next_token_targets=_next_token_targets(batch),
        ignored_class=_ignored_class(output, target, loss, tuple(calls), batch),
    )


def _ignored_class(
    output: Any, target: Any, loss_fn: Any, calls: tuple[LossCall, ...], batch: Batch
) -> tuple[int, float] | None:
    """The loss's ignore_index when it is a real class: a label the output can predict, at least a
    tenth of the labels, lying between other labels in most sequences (padding sits at the ends),
    over inputs that are not one constant padding token. None otherwise."""
    ignore = next((c.options["ignore_index"] for c in calls if "ignore_index" in c.options), None)
    if ignore is None:
        ignore = ignored_label(loss_fn)
    if ignore is None or ignore < 0 or not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
        return None
    if target.is_floating_point() or target.dim() < 2 or output.dim() != target.dim() + 1:
        return None
    if ignore >= output.shape[class_axis(loss_fn, tuple(output.shape), tuple(target.shape))]:
        return None
    hidden = target == ignore
    share = float(hidden.float().mean())
    if share < 0.1 or not marked_inside_rows(hidden):
        return None
    # the first integer tensor of the batch shaped like the labels: the token ids they belong to
    tokens = next((t for t in integer_tensors(batch) if t.shape == target.shape), None)
    if tokens is not None:
        values = tokens[hidden]
        if values.numel() and bool((values == values[0]).all()):
            return None  # one token under every ignored label: padding
    return ignore, share


def _next_token_targets(batch: Batch) -> bool:
    """Two integer [B, T] tensors of the batch where one is the other (HuggingFace `labels=input_ids`,
    shifted inside the model) or the other shifted by one position (most of the positions agree)."""
    tokens = [t for t in integer_tensors(batch) if t.dim() == 2]
    for i, a in enumerate(tokens[:4]):
        for b in tokens[i + 1 : 4]:
            if a.shape != b.shape or a.shape[1] < 2 or a is b:
                continue
            same = float((a == b).float().mean())
            shifted = max(float((a[:, 1:] == b[:, :-1]).float().mean()), float((b[:, 1:] == a[:, :-1]).float().mean()))
            if max(same, shifted) >= 0.9:
                return True
    return False


def _unread(loss: Callable[..., Any], output: Any, target: Any, value: float) -> bool | None:
    """For constant targets: does the loss give the same value with other targets?"""
    if not isinstance(target, torch.Tensor) or target.numel() == 0 or not math.isfinite(value):
        return None
    flat = target.reshape(-1)
    if not bool((flat == flat[0]).all()):
        return None
    try:
        with torch.no_grad():
            other = float(loss(output, target + 1))
    except Exception:  # noqa: BLE001 - other targets the loss refuses: it reads them
        return False
    return other == value


def ignored_label(loss_fn: Any) -> int | None:
    """The label a class-index loss leaves out (`ignore_index`, -100 by default: padding), for
    nn.CrossEntropyLoss / nn.NLLLoss and loss functions; None for other loss modules."""
    index_losses = (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)
    if isinstance(loss_fn, index_losses) or (loss_fn is not None and not isinstance(loss_fn, torch.nn.Module)):
        return int(getattr(loss_fn, "ignore_index", -100))
    return None


def labels_out_of_range(output: Any, target: Any, loss_fn: Any) -> str | None:
    """Class indices outside [0, C) for a class-index loss (ignore_index excepted), or None."""
    ignore = ignored_label(loss_fn)
    if ignore is None:
        return None
    if not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
        return None
    if target.is_floating_point() or output.dim() < 2 or target.dim() != output.dim() - 1:
        return None
    labels = target[target != ignore]
    if labels.numel() == 0:
        return None
    low, high = (int(v) for v in torch.stack([labels.min(), labels.max()]).cpu())
    # a loss function (not the module) may flatten [B, T, V] logits for [B, T] labels
    axis = class_axis(loss_fn, tuple(output.shape), tuple(target.shape))
    classes = int(output.shape[axis])
    if low >= 0 and high < classes:
        return None
    return (
        f"class labels run from {low} to {high} but the output has {classes} classes (valid labels "
        f"0..{classes - 1}), so the loss cannot be computed"
    )


def _single_sample_batchnorm(error: BaseException | None) -> tuple[str, str] | None:
    """BatchNorm's refusal of a batch with one value per channel, in training mode: (why, fix), or None."""
    if not isinstance(error, ValueError) or "Expected more than 1 value per channel when training" not in str(error):
        return None
    return (
        f"the first training batch cannot run in training mode: BatchNorm has one value per channel to normalize "
        f"over and refused it ({error}); every training step on such a batch fails the same way",
        "Train with batches of more than one sample (16 or more for stable BatchNorm statistics), set "
        "drop_last=True when the dataset leaves a last batch of one, or use GroupNorm/LayerNorm, which do not "
        "depend on the batch.",
    )


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def float_class_labels(output: Any, target: Any, error: Exception) -> tuple[str, str] | None:
    """Floating-point class labels given to a class-index loss, which refused them: (why, fix), or None.

    Only when the loss itself raised the dtype error: a float target of one value per sample can be
    a regression target for a custom loss, so the shapes alone do not tell.
    """
    if not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
        return None
    if not target.is_floating_point() or output.dim() < 2 or target.dim() != output.dim() - 1:
        return None
    if "Long" not in str(error):
        return None
    whole = bool(torch.all(target == torch.round(target))) if target.numel() else False
    values = f", whole numbers from {float(target.min()):g} to {float(target.max()):g}" if whole else ""
    return (
        f"the class labels are {str(target.dtype).removeprefix('torch.')}{values}, but the loss takes class "
        f"indices as integers (torch.long) and refused them ({type(error).__name__}: {error})",
        "Convert the labels to integer class indices, e.g. `labels.long()` in the Dataset or `loss(output, "
        "target.long())`; keep float targets only for class probabilities shaped like the output.",
    )


def probabilities_expected(output: Any, loss_fn: Any, error: Exception) -> tuple[str, str] | None:
    """nn.BCELoss (or F.binary_cross_entropy) given raw logits, which it refuses: (why, fix), or None."""
    name = loss_label(loss_fn)
    if name not in ("BCELoss", "binary_cross_entropy") or not isinstance(output, torch.Tensor):
        return None
    if "between 0 and 1" not in str(error) or not output.is_floating_point() or output.numel() == 0:
        return None
    low, high = float(output.min()), float(output.max())
    return (
        f"{name} takes probabilities in [0, 1], but the model outputs raw scores from {low:.3g} to {high:.3g} "
        f"(logits), so the loss refuses them ({type(error).__name__}: {error})",
        "Use nn.BCEWithLogitsLoss on the raw outputs (it applies the sigmoid itself, in a numerically stable "
        "form); or end the model with a sigmoid if BCELoss must stay.",
    )


_TORCH_DIR = str(Path(torch.__file__).resolve().parent)


def _raised_in_torch(error: BaseException) -> bool:
    """The error came from torch itself (a loss refusing its arguments), not from the user's code."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and str(Path(frames[-1].filename).resolve()).startswith(_TORCH_DIR)


def loss_refused(output: Any, target: Any, label: str, error: Exception) -> tuple[str, str] | None:
    """A torch loss that refuses the model's output and the targets (a shape or dtype it does not
    take): (why, fix), or None when the error came from the user's own code."""
    if not isinstance(error, (RuntimeError, ValueError, IndexError)) or not _raised_in_torch(error):
        return None
    if not isinstance(output, torch.Tensor) or not isinstance(target, torch.Tensor):
        return None
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    given = f"output {describe_shapes(output)}, target {describe_shapes(target)}"
    why = f"{label} refuses the model's output and the targets ({type(error).__name__}: {text}; {given})"
    fix = (
        f"Make the targets fit what {label} takes (its documented target shape and dtype), or use a loss that fits "
        "the model's output."
    )
    index_target = "target tensor expected" in text or "multi-target" in text
    if index_target and target.dim() == output.dim() and target.shape[-1] == 1 and not target.is_floating_point():
        why += f": the class labels are shaped {list(target.shape)}, one column too many; a class-index loss takes one label per sample"
        fix = "Flatten the labels to one per sample: `target.squeeze(1)` (or `.view(-1)`) in the Dataset or before the loss."
    elif index_target and target.shape == output.shape and not target.is_floating_point():
        why += ": the targets are one-hot rows shaped like the output, and a class-index loss takes one class index per sample"
        fix = "Pass class indices (`target.argmax(dim=1)`), or float class probabilities to nn.CrossEntropyLoss."
    elif "can't be cast" in text and not target.is_floating_point() and output.is_floating_point():
        why += (
            f": the targets are {str(target.dtype).removeprefix('torch.')}, and this loss computes with float targets"
        )
        fix = "Convert the targets to float (`target.float()`) in the Dataset or before the loss."
    return why, fix


def loss_label(loss_fn: Any) -> str:
    if loss_fn is None:
        return "none"
    if isinstance(loss_fn, torch.nn.Module):  # nndoctor's own wrappers name the loss they call
        return getattr(loss_fn, "nndoctor_label", None) or type(loss_fn).__name__
    return getattr(loss_fn, "__qualname__", type(loss_fn).__name__)
