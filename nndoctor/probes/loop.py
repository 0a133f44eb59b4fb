"""The training step every experiment shares: precision, GradScaler, closures, metrics, evaluation.

Statistics stay on the device; `fetch` brings several tensors to the host in one transfer.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

from nndoctor.batches import Batch, batch_size_of, first_tensor
from nndoctor.context import Context
from nndoctor.layers import is_weighted, module_names
from nndoctor.tasks import TaskInfo


def metric_name(task: TaskInfo) -> str | None:
    """Accuracy for classification-like tasks, R^2 for regression, nothing otherwise."""
    if task.kind in ("classification", "binary", "multilabel"):
        return "accuracy"
    if task.kind == "regression":
        return "r2"
    return None


class MetricAccumulator:
    """Accumulates a task metric over batches as device tensors (no host reads).

    Accuracy: argmax against integer labels (or against the argmax of soft labels); binary and
    multilabel: the logit's sign (the probability's side of 0.5 for a BCELoss on probabilities).
    R^2: 1 - SSE/SST per output column, averaged over columns.
    """

    def __init__(self, task: TaskInfo, device: torch.device) -> None:
        self.name = metric_name(task)
        self.kind = task.kind
        self.class_dim = task.class_dim
        self.threshold = 0.5 if task.loss_kind == "bce" else 0.0
        self.device = device
        self.usable = self.name is not None
        self.parts: list[torch.Tensor] = []

    def _pair(self, output: Any, target: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
        out = first_tensor(output)
        if out is None or not isinstance(target, torch.Tensor) or out.dim() == 0 or target.dim() == 0:
            return None
        return out.detach(), target.detach()

    def batch_stats(self, output: Any, target: Any) -> torch.Tensor | None:
        """A small device tensor of sufficient statistics for one batch, or None if not measurable."""
        if not self.usable:
            return None
        pair = self._pair(output, target)
        if pair is None:
            self.usable = False
            return None
        out, tgt = pair
        n = out.shape[0]
        if self.kind == "classification":
            if out.dim() < 2:
                self.usable = False
                return None
            pred = out.argmax(dim=self.class_dim if self.class_dim < out.dim() else 1)
            labels = tgt.argmax(dim=1) if tgt.is_floating_point() and tgt.dim() == out.dim() else tgt
            if labels.shape != pred.shape:
                self.usable = False
                return None
            counted = (labels >= 0).float()  # negative labels are ignore_index (padding), not classes
            correct = (pred == labels).float() * counted
            return torch.stack([correct.sum(), counted.sum()])
        if self.kind in ("binary", "multilabel"):
            if out.numel() != tgt.numel():
                self.usable = False
                return None
            pred = out.reshape(-1).float() > self.threshold
            correct = (pred == (tgt.reshape(-1).float() > 0.5)).float()
            return torch.stack([correct.sum(), correct.new_tensor(float(correct.numel()))])
        # regression: per-column SSE, sum, sum of squares, count
        if out.numel() != tgt.numel() or not tgt.is_floating_point():
            self.usable = False
            return None
        o = out.reshape(n, -1).float()
        t = tgt.reshape(n, -1).float()
        return torch.cat(
            [(o - t).pow(2).sum(dim=0), t.sum(dim=0), t.pow(2).sum(dim=0), t.new_full((t.shape[1],), float(n))]
        )

    def add(self, output: Any, target: Any) -> None:
        stats = self.batch_stats(output, target)
        if stats is not None:
            self.parts.append(stats)

    def value(self, stats: torch.Tensor | None = None) -> torch.Tensor:
        """The metric as a 0-d device tensor (NaN when it cannot be measured)."""
        if stats is None:
            if not self.usable or not self.parts:
                return torch.full((), math.nan, device=self.device)
            stats = torch.stack(self.parts).sum(dim=0)
        if self.name == "accuracy":
            return stats[0] / stats[1].clamp_min(1)
        k = stats.numel() // 4
        sse, s, sq, n = stats[:k], stats[k : 2 * k], stats[2 * k : 3 * k], stats[3 * k :]
        sst = sq - s.pow(2) / n.clamp_min(1)
        # pooled over the output columns (variance-weighted): a column that never varies (an
        # autoencoder's always-black pixel) adds its error without dividing by its zero variance
        return 1 - sse.sum() / sst.sum().clamp_min(1e-12)


def majority_share(task: TaskInfo, batches: Sequence[Batch]) -> torch.Tensor | None:
    """Share of the most common class among the targets (the accuracy of always guessing it), on the device."""
    if task.kind not in ("classification", "binary", "multilabel"):
        return None
    targets = [
        b[1].detach()
        for b in batches
        if isinstance(b, (list, tuple)) and len(b) == 2 and isinstance(b[1], torch.Tensor) and b[1].dim()
    ]
    if not targets:
        return None
    if task.kind != "classification":
        y = torch.cat([t.reshape(-1) for t in targets])  # each batch flat: padded batches differ in length
        pos = (y.float() > 0.5).float().mean()
        return torch.maximum(pos, 1 - pos)
    # class indices, or class probabilities / one-hot over dimension 1 (as CrossEntropyLoss reads them)
    y = torch.cat([(t.argmax(dim=1) if t.is_floating_point() and t.dim() > 1 else t).reshape(-1) for t in targets])
    y = y.long()
    valid = (y >= 0).float()  # negative labels are ignore_index (padding)
    size = int(task.num_classes) if task.num_classes else None
    if size is None:
        counts = torch.bincount(y.clamp_min(0), weights=valid)  # sized from the data
    else:  # known size: no device-to-host read to find the largest label
        counts = torch.zeros(size, device=y.device).index_add_(0, y.clamp(0, size - 1), valid)
    return counts.max() / counts.sum().clamp_min(1)


def fetch(parts: Sequence[torch.Tensor | None]) -> list[list[float]]:
    """Bring several device tensors to the host in one transfer; each comes back as a flat list."""
    present = [p.detach().float().reshape(-1) for p in parts if p is not None]
    flat = torch.cat(present).cpu().tolist() if present else []
    out: list[list[float]] = []
    cursor = 0
    for p in parts:
        n = 0 if p is None else p.numel()
        out.append(flat[cursor : cursor + n])
        cursor += n
    return out


class StepLosses:
    """Every step's loss in one preallocated float32 buffer on the device.

    A list of detached 0-d tensors is one small long-lived allocation per step, interleaved with the
    big short-lived activations, which fragments the heap: over a 200-step run of a 224x224 CNN on
    the CPU that kept 60-130 MiB of peak RSS that the buffer does not. Values are those the list
    gave (`.float()` of each loss).
    """

    def __init__(self, steps: int, device: torch.device) -> None:
        self._values = torch.full((max(steps, 0),), math.nan, dtype=torch.float32, device=device)
        self.count = 0

    def record(self, loss: torch.Tensor) -> None:
        self._values[self.count] = loss.detach()
        self.count += 1

    def last(self, n: int) -> torch.Tensor:
        """The last `n` recorded losses (a view)."""
        return self._values[max(0, self.count - n) : self.count]

    def recorded(self) -> torch.Tensor | None:
        """The recorded losses (a view), or None when no step ran."""
        return self._values[: self.count] if self.count else None


def uniform_guess_loss(task: TaskInfo) -> float | None:
    if task.kind == "classification" and task.num_classes and task.num_classes > 1:
        return math.log(task.num_classes)
    if task.kind in ("binary", "multilabel"):
        return math.log(2)
    return None


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module, nn.Parameter]]:
    """(name, layer, the parameter tracked for it) per trainable Linear/Conv layer; a `weight`
    computed from other parameters (weight norm, pruning) is tracked through its largest one."""
    names = module_names(model)
    found = []
    for m in model.modules():
        if not is_weighted(m):
            continue
        weight = m.weight if isinstance(m.weight, nn.Parameter) else None
        if weight is None:
            own = sorted(m.parameters(recurse=False), key=lambda p: p.numel(), reverse=True)
            weight = own[0] if own else None
        if weight is not None and weight.requires_grad:
            found.append((names[m], m, weight))
    if found:
        return found
    return [
        (name, model, p) for name, p in model.named_parameters() if p.requires_grad and p.dim() > 1
    ]  # exotic models: every matrix-shaped parameter


class Stepper:
    """One optimizer step under the requested precision, with GradScaler for fp16."""

    def __init__(self, ctx: Context, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.ctx = ctx
        self.model = model
        self.optimizer = optimizer
        self.scaler = torch.amp.GradScaler(ctx.device.type) if ctx.settings.precision == "fp16" else None
        self.trainable = True
        # settled once: a training step of a small model takes well under a millisecond, so the
        # per-step lookups of a plain loop are all the probes may add
        self._mixed = ctx.settings.precision != "fp32"
        self._needs_closure = needs_closure(optimizer)
        self._forward, self._loss = ctx.forward, ctx.loss
        self._clips = clips(ctx)
        self._unscaled = False

    def forward(self, batch: Batch) -> tuple[Any, Any, torch.Tensor]:
        if not self._mixed:
            output, target = self._forward(self.model, batch)
            return output, target, self._loss(output, target)
        with self.ctx.autocast():
            output, target = self._forward(self.model, batch)
            loss = self._loss(output, target)
        return output, target, loss

    def backward(self, loss: torch.Tensor) -> bool:
        """Backward pass; False when the loss is not connected to anything trainable."""
        self.optimizer.zero_grad(set_to_none=True)
        if not loss.requires_grad:
            self.trainable = False
            return False
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        return True

    def closure(self, batch: Batch) -> Callable[[], torch.Tensor] | None:
        """The loss re-evaluation an optimizer like LBFGS calls inside `step` (None for the others)."""
        if not self._needs_closure:
            return None

        def run() -> torch.Tensor:
            self.optimizer.zero_grad(set_to_none=True)
            _, _, loss = self.forward(batch)
            loss.backward()
            return loss

        return run

    def unscale(self) -> None:
        if self.scaler is not None and not self._unscaled:
            self.scaler.unscale_(self.optimizer)
            self._unscaled = True

    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> bool:
        """One optimizer step; False when the GradScaler skipped it (inf/NaN gradients in fp16)."""
        if self._clips:
            self.unscale()
            clip_gradients(self.ctx, self.optimizer)
        self._unscaled = False
        if self.scaler is not None:
            scale = self.scaler.get_scale()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            return self.scaler.get_scale() >= scale  # the scale drops exactly when a step is skipped
        if self._needs_closure:
            step_optimizer(self.optimizer, closure)
        else:
            self.optimizer.step()
        return True


def clips(ctx: Context) -> bool:
    """Whether the training loop clips its gradients (see `clip_gradients`)."""
    return "clip_grad_norm" in ctx.hints or "clip_grad_value" in ctx.hints


def clip_gradients(ctx: Context, optimizer: torch.optim.Optimizer) -> torch.Tensor | None:
    """The training loop's own gradient clipping (the `clip_grad_norm` / `clip_grad_value` hints, or
    what a captured script calls), on unscaled gradients before the step; for norm clipping the
    factor the gradients were multiplied by (<= 1), so statistics can still read the raw gradients."""
    norm, value = ctx.hints.get("clip_grad_norm"), ctx.hints.get("clip_grad_value")
    if norm is None and value is None:
        return None
    params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    if value is not None:
        torch.nn.utils.clip_grad_value_(params, float(value))
        return None
    assert norm is not None
    total = torch.nn.utils.clip_grad_norm_(params, float(norm))
    return torch.clamp(float(norm) / (total.float() + 1e-6), max=1.0)


def needs_closure(optimizer: torch.optim.Optimizer) -> bool:
    """Optimizers that re-evaluate the loss inside `step` (LBFGS) and reject `step()` without one."""
    return isinstance(optimizer, torch.optim.LBFGS)


def step_optimizer(optimizer: torch.optim.Optimizer, closure: Callable[[], Any] | None) -> None:
    if needs_closure(optimizer):
        if closure is None:
            raise RuntimeError(f"{type(optimizer).__name__} needs a closure to step")
        optimizer.step(closure)
    else:
        optimizer.step()


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    was = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was)


def evaluate(ctx: Context, model: nn.Module, batches: Sequence[Batch], task: TaskInfo) -> torch.Tensor:
    """Mean loss and metric over `batches` in eval mode, as a device tensor [loss, metric]."""
    metric = MetricAccumulator(task, ctx.device)
    total = torch.zeros((), device=ctx.device)
    count = 0
    with torch.no_grad(), eval_mode(model), ctx.autocast():
        for batch in batches:
            output, target = ctx.forward(model, batch)
            n = batch_size_of(batch) or 1
            total = total + ctx.loss(output, target).detach().float() * n
            count += n
            metric.add(output, target)
    return torch.stack([total / max(count, 1), metric.value().float()])
