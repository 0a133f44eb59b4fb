"""The training experiments: a short run with the user's optimizer, the tiny-subset overfit, and
the regularization sanity test.

Each probe starts from the saved initial state (`ctx.fresh_model()`), trains a private copy and
leaves the working copy as it found it. Statistics stay on the device: per-step losses go into a
preallocated tensor, per-layer gradient norms and update ratios are stacked every few steps, and
the host reads them once at the end. The only mid-run reads are a small slice of the loss curve
every `check_every` steps, which is what it takes to stop early on NaN, divergence or a reached
goal. Step and wall-clock budgets (per probe, and the run's overall `--budget`) end a run early
with partial results that say why they stopped.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.context import Batch, Context, batch_size_of, first_tensor, map_tensors
from nndoctor.errors import Skip
from nndoctor.layers import DROPOUTS, is_weighted, module_names
from nndoctor.registry import probe
from nndoctor.tasks import TaskInfo

# optimizers whose `weight_decay` shrinks the weights directly instead of adding an L2 term to the loss
_DECOUPLED = ("AdamW",)


# -- shared helpers ------------------------------------------------------------------------
def _deadline(ctx: Context, probe_name: str, default_seconds: float) -> float:
    """When this probe must stop: its own wall-clock budget, capped by what is left of --budget."""
    seconds = float(ctx.settings.probe_setting(probe_name, "seconds", default_seconds))
    left = ctx.time_left()
    if left is not None:
        if left <= 0:
            raise Skip("the overall time budget (--budget) was used up before this experiment started")
        seconds = min(seconds, left)
    return time.perf_counter() + seconds


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
            pred = out.argmax(dim=1)
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
        return (1 - sse / sst.clamp_min(1e-12)).mean()


def majority_share(task: TaskInfo, batches: Sequence[Batch]) -> torch.Tensor | None:
    """Share of the most common class among the targets (the accuracy of always guessing it), on the device."""
    if task.kind not in ("classification", "binary", "multilabel"):
        return None
    targets = [
        b[1].detach().reshape(b[1].shape[0], -1)
        for b in batches
        if isinstance(b, (list, tuple)) and len(b) == 2 and isinstance(b[1], torch.Tensor) and b[1].dim()
    ]
    if not targets:
        return None
    y = torch.cat(targets)
    if task.kind != "classification":
        pos = (y.float() > 0.5).float().mean()
        return torch.maximum(pos, 1 - pos)
    if y.is_floating_point() and y.shape[1] > 1:
        y = y.argmax(dim=1)
    y = y.reshape(-1).long()
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


def _uniform_guess_loss(task: TaskInfo) -> float | None:
    if task.kind == "classification" and task.num_classes and task.num_classes > 1:
        return math.log(task.num_classes)
    if task.kind in ("binary", "multilabel"):
        return math.log(2)
    return None


def _weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module, nn.Parameter]]:
    names = module_names(model)
    found = [
        (names[m], m, m.weight) for m in model.modules() if is_weighted(m) and getattr(m.weight, "requires_grad", False)
    ]
    if found:
        return found
    return [
        (name, model, p) for name, p in model.named_parameters() if p.requires_grad and p.dim() > 1
    ]  # exotic models: every matrix-shaped parameter


class _Stepper:
    """One optimizer step under the requested precision, with GradScaler for fp16."""

    def __init__(self, ctx: Context, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.ctx = ctx
        self.model = model
        self.optimizer = optimizer
        self.scaler = (
            torch.amp.GradScaler(ctx.device.type) if ctx.settings.precision == "fp16" else None  # type: ignore[attr-defined]
        )
        self.trainable = True

    def forward(self, batch: Batch) -> tuple[Any, Any, torch.Tensor]:
        with self.ctx.autocast():
            output, target = self.ctx.forward(self.model, batch)
            loss = self.ctx.loss(output, target)
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

    def unscale(self) -> None:
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)

    def step(self) -> None:
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
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
    with torch.no_grad(), _eval_mode(model), ctx.autocast():
        for batch in batches:
            output, target = ctx.forward(model, batch)
            n = batch_size_of(batch) or 1
            total = total + ctx.loss(output, target).detach().float() * n
            count += n
            metric.add(output, target)
    return torch.stack([total / max(count, 1), metric.value().float()])


# -- short run -----------------------------------------------------------------------------
@dataclass
class LayerTrack:
    """Per weighted layer, its gradient norm and update/weight ratio along the run."""

    name: str
    kind: str
    grad_norms: list[float]
    update_ratios: list[float]


@dataclass
class EvalPoint:
    step: int
    train_loss: float
    train_metric: float | None
    val_loss: float | None
    val_metric: float | None


@dataclass
class ShortRun:
    steps_planned: int
    steps_run: int
    stop_reason: str  # completed | nonfinite | diverged | time
    losses: list[float]  # training loss of every step, as the optimizer saw it (train mode)
    evals: list[EvalPoint]  # eval-mode loss/metric on fixed train and val batches along the run
    metric: str | None  # accuracy | r2 | None
    chance: float | None  # accuracy of always predicting the majority class (classification)
    layers: list[LayerTrack]
    tracked_steps: list[int]
    optimizer: str
    lr: float | None
    precision: str
    seconds: float
    trainable: bool = True  # False when the loss does not require grad
    has_val: bool = False
    task: str = "unknown"

    @property
    def first_nonfinite(self) -> int | None:
        return next((i for i, v in enumerate(self.losses) if not math.isfinite(v)), None)


def _plan_points(steps: int, count: int) -> list[int]:
    """`count` evaluation points spread over the run, always including the start and the end."""
    count = max(2, count)
    return sorted({round(i * steps / (count - 1)) for i in range(count)})


@probe("short_run", "a short training run with the user's optimizer", cost="train")
def short_run(ctx: Context) -> ShortRun:
    setup = ctx.probe("setup")
    task: TaskInfo = setup.task
    steps = int(ctx.settings.probe_setting("short_run", "steps", 200))
    check_every = max(1, int(ctx.settings.probe_setting("short_run", "check_every", 25)))
    track_points = int(ctx.settings.probe_setting("short_run", "track_points", 10))
    eval_points = int(ctx.settings.probe_setting("short_run", "eval_points", 3))
    eval_batches = int(ctx.settings.probe_setting("short_run", "eval_batches", 5))
    diverge_factor = float(ctx.settings.probe_setting("short_run", "diverge_factor", 100.0))
    deadline = _deadline(ctx, "short_run", 30.0)
    if steps < 2:
        raise Skip("probes.short_run.steps is below 2; nothing to learn from")

    started = time.perf_counter()
    model = ctx.fresh_model()
    optimizer = ctx.make_optimizer(model)
    stepper = _Stepper(ctx, model, optimizer)
    train_eval = ctx.train_batches()[:eval_batches]
    val = ctx.val_batches()
    val_eval = val[:eval_batches] if val else None
    layers = _weighted_layers(model)
    track_every = max(1, steps // max(1, track_points))
    evals_at = set(_plan_points(steps, eval_points))

    losses = torch.full((steps,), math.nan, device=ctx.device)
    eval_rows: list[tuple[int, torch.Tensor]] = []
    track_rows: list[torch.Tensor] = []
    tracked_steps: list[int] = []
    stop_reason = "completed"
    steps_run = 0
    first_loss: float | None = None

    def record_eval(step: int) -> None:
        row = evaluate(ctx, model, train_eval, task)
        if val_eval:
            row = torch.cat([row, evaluate(ctx, model, val_eval, task)])
        eval_rows.append((step, row))

    record_eval(0)
    with ctx.progress_task("short training run", steps) as advance:
        for step, batch in enumerate(ctx.iterate_train(steps)):
            _output, _target, loss = stepper.forward(batch)
            losses[step] = loss.detach().float()
            if stepper.backward(loss):
                if step % track_every == 0:
                    stepper.unscale()
                    grads = [p.grad for _, _, p in layers]
                    before = [p.detach().clone() for _, _, p in layers]
                    stepper.step()
                    track_rows.append(_track_row(layers, grads, before))
                    tracked_steps.append(step)
                else:
                    stepper.step()
            steps_run = step + 1
            advance()
            if steps_run in evals_at and steps_run < steps:
                record_eval(steps_run)
            if steps_run % check_every == 0 or steps_run == steps:
                recent = losses[max(0, steps_run - check_every) : steps_run].cpu()  # the periodic read
                if first_loss is None:
                    first_loss = float(recent[0])
                if not bool(torch.isfinite(recent).all()):
                    stop_reason = "nonfinite"
                    break
                if math.isfinite(first_loss) and float(recent.abs().max()) > diverge_factor * max(
                    abs(first_loss), 1e-8
                ):
                    stop_reason = "diverged"
                    break
            if time.perf_counter() > deadline and steps_run < steps:
                stop_reason = "time"
                break
    if not eval_rows or eval_rows[-1][0] != steps_run:
        record_eval(steps_run)

    # one transfer for everything measured on the device
    eval_table = torch.stack([row for _, row in eval_rows])
    track_table = torch.stack(track_rows) if track_rows else None  # [points, 2, layers]
    chance = majority_share(task, train_eval)
    curve, evals_flat, tracks_flat, chance_host = fetch([losses[:steps_run], eval_table, track_table, chance])
    width = eval_table.shape[1]
    evals_host = [evals_flat[i : i + width] for i in range(0, len(evals_flat), width)]
    per_point = 2 * len(layers)
    tracks_host = [
        [tracks_flat[i : i + len(layers)], tracks_flat[i + len(layers) : i + per_point]]
        for i in range(0, len(tracks_flat), per_point)
    ]
    name = metric_name(task)
    evals = [
        EvalPoint(
            step=step,
            train_loss=vals[0],
            train_metric=_finite_or_none(vals[1]),
            val_loss=vals[2] if len(vals) > 2 else None,
            val_metric=_finite_or_none(vals[3]) if len(vals) > 2 else None,
        )
        for (step, _), vals in zip(eval_rows, evals_host, strict=True)
    ]
    tracks = [
        LayerTrack(
            name=lname,
            kind=type(module).__name__,
            grad_norms=[row[0][i] for row in tracks_host],
            update_ratios=[row[1][i] for row in tracks_host],
        )
        for i, (lname, module, _) in enumerate(layers)
    ]
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    result = ShortRun(
        steps_planned=steps,
        steps_run=steps_run,
        stop_reason=stop_reason,
        losses=curve,
        evals=evals,
        metric=name,
        chance=chance_host[0] if chance_host else None,
        layers=tracks,
        tracked_steps=tracked_steps,
        optimizer=type(optimizer).__name__,
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        precision=ctx.settings.precision,
        seconds=time.perf_counter() - started,
        trainable=stepper.trainable,
        has_val=val_eval is not None,
        task=task.kind,
    )
    ctx.fresh_model()
    return result


def _track_row(
    layers: list[tuple[str, nn.Module, nn.Parameter]],
    grads: list[torch.Tensor | None],
    before: list[torch.Tensor],
) -> torch.Tensor:
    """[2, layers]: gradient norm and |update| / |weight| for each tracked layer, on the device."""
    zero = before[0].new_zeros((), dtype=torch.float32) if before else torch.zeros(())
    grad_norms = torch.stack([g.detach().float().norm() if g is not None else zero for g in grads])
    ratios = torch.stack(
        [
            (p.detach().float() - b.float()).norm() / b.float().norm().clamp_min(1e-30)
            for (_, _, p), b in zip(layers, before, strict=True)
        ]
    )
    return torch.stack([grad_norms, ratios])


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


# -- overfit a tiny subset -------------------------------------------------------------------
@dataclass
class OverfitRun:
    samples: int
    steps_planned: int
    steps_run: int
    stop_reason: str  # goal | completed | nonfinite | time
    metric: str | None
    goal: float | None  # the metric value that counts as "overfit"
    goal_step: int | None  # first checked step at which the goal was met
    initial_loss: float
    final_loss: float
    best_loss: float
    initial_metric: float | None
    final_metric: float | None
    best_metric: float | None
    losses: list[float]  # the loss every `check_every` steps (a thinned curve)
    checked_steps: list[int]
    weight_decay_removed: list[float]  # the decay values set to 0 for the experiment
    dropout_disabled: int
    frozen_params: list[str]  # requires_grad=False
    not_in_optimizer: list[str]  # requires grad but no optimizer group holds it
    chance: float | None  # accuracy of always guessing the subset's majority class
    chance_loss: float | None  # cross-entropy of a uniform guess: ln(C), or ln 2 for binary/multilabel
    trainable: bool
    optimizer: str
    lr: float | None
    seconds: float


def take_samples(batches: Sequence[Batch], n: int) -> Batch:
    """The first `n` samples of the training data as one batch (tensors sliced along dim 0)."""
    chosen: list[Batch] = []
    have = 0
    for batch in batches:
        size = batch_size_of(batch)
        target = batch[1] if isinstance(batch, (list, tuple)) and len(batch) == 2 else None
        if size is None or (isinstance(target, torch.Tensor) and target.dim() and target.shape[0] != size):
            return batches[0]  # no clear sample dimension (e.g. sequence-first inputs): one whole batch
        chosen.append(_slice(batch, size, min(size, n - have)))
        have += min(size, n - have)
        if have >= n:
            break
    if len(chosen) == 1:
        return chosen[0]
    return _concat(chosen)


def _sample_count(batch: Batch) -> int:
    """Samples in a batch: the targets' length for (inputs, targets) pairs, else the first tensor's."""
    if isinstance(batch, (list, tuple)) and len(batch) == 2 and isinstance(batch[1], torch.Tensor) and batch[1].dim():
        return int(batch[1].shape[0])
    return batch_size_of(batch) or 0


def _slice(obj: Any, size: int, k: int) -> Any:
    """The first `k` samples of every batch-sized tensor in a batch."""
    return map_tensors(obj, lambda t: t[:k] if t.dim() > 0 and t.shape[0] == size else t)


def _concat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts) if first.dim() > 0 else first
    if isinstance(first, dict):
        return {key: _concat([p[key] for p in parts]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(_concat(list(vals)) for vals in zip(*parts, strict=True)))
    if isinstance(first, (list, tuple)):
        return type(first)(_concat(list(vals)) for vals in zip(*parts, strict=True))
    return first


@contextlib.contextmanager
def regularization_off(model: nn.Module, optimizer: torch.optim.Optimizer) -> Iterator[tuple[list[float], int]]:
    """Dropout modules to p=0 and weight decay to 0 for the duration; both are put back after."""
    dropouts = [m for m in model.modules() if isinstance(m, DROPOUTS) and m.p > 0]
    saved_p = [m.p for m in dropouts]
    decays = []
    for group in optimizer.param_groups:
        wd = group.get("weight_decay")
        if isinstance(wd, (int, float)) and wd > 0:
            decays.append(float(wd))
            group["weight_decay"] = 0.0
    for m in dropouts:
        m.p = 0.0
    try:
        yield decays, len(dropouts)
    finally:
        for m, p in zip(dropouts, saved_p, strict=True):
            m.p = p


@probe("overfit_tiny", "overfit a tiny subset without regularization", cost="train")
def overfit_tiny(ctx: Context) -> OverfitRun:
    setup = ctx.probe("setup")
    task: TaskInfo = setup.task
    n = int(ctx.settings.probe_setting("overfit_tiny", "samples", 20))
    steps = int(ctx.settings.probe_setting("overfit_tiny", "steps", 300))
    check_every = max(1, int(ctx.settings.probe_setting("overfit_tiny", "check_every", 10)))
    goal_accuracy = float(ctx.settings.probe_setting("overfit_tiny", "goal_accuracy", 1.0))
    goal_r2 = float(ctx.settings.probe_setting("overfit_tiny", "goal_r2", 0.95))
    deadline = _deadline(ctx, "overfit_tiny", 30.0)

    started = time.perf_counter()
    batch = take_samples(ctx.train_batches(), n)
    samples = _sample_count(batch)
    model = ctx.fresh_model()
    optimizer = ctx.make_optimizer(model)
    stepper = _Stepper(ctx, model, optimizer)
    name = metric_name(task)
    goal = goal_accuracy if name == "accuracy" else goal_r2 if name == "r2" else None
    metric = MetricAccumulator(task, ctx.device)
    frozen = [pname for pname, p in model.named_parameters() if not p.requires_grad]
    owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
    orphans = [pname for pname, p in model.named_parameters() if p.requires_grad and id(p) not in owned]

    losses = torch.full((steps,), math.nan, device=ctx.device)
    checked: list[int] = []
    checked_metrics: list[torch.Tensor] = []
    stop_reason = "completed"
    steps_run = 0
    goal_step: int | None = None
    with (
        regularization_off(model, optimizer) as (decays, dropouts),
        ctx.progress_task("overfit a tiny subset", steps) as advance,
    ):
        for step in range(steps):
            output, target, loss = stepper.forward(batch)
            losses[step] = loss.detach().float()
            is_check = step % check_every == 0 or step == steps - 1
            if is_check:
                stats = metric.batch_stats(output, target)
                checked.append(step)
                checked_metrics.append(
                    metric.value(stats).float() if stats is not None else torch.full((), math.nan, device=ctx.device)
                )
            trained = stepper.backward(loss)
            if trained:
                stepper.step()
            steps_run = step + 1
            advance()
            if is_check:
                host = torch.stack([losses[step], checked_metrics[-1]]).cpu().tolist()  # the periodic read
                if not math.isfinite(host[0]):
                    stop_reason = "nonfinite"
                    break
                if goal is not None and math.isfinite(host[1]) and host[1] >= goal - 1e-9:
                    goal_step, stop_reason = step, "goal"
                    break
                if not trained:
                    stop_reason = "not_trainable"
                    break
            if time.perf_counter() > deadline and steps_run < steps:
                stop_reason = "time"
                break
    chance = majority_share(task, [batch])
    curve, metrics, chance_host = fetch(
        [losses[:steps_run], torch.stack(checked_metrics) if checked_metrics else None, chance]
    )
    finite_losses = [v for v in curve if math.isfinite(v)]
    finite_metrics = [v for v in metrics if math.isfinite(v)]
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    result = OverfitRun(
        samples=samples,
        steps_planned=steps,
        steps_run=steps_run,
        stop_reason=stop_reason,
        metric=name if metric.usable else None,
        goal=goal if metric.usable else None,
        goal_step=goal_step,
        initial_loss=curve[0] if curve else math.nan,
        final_loss=curve[-1] if curve else math.nan,
        best_loss=min(finite_losses) if finite_losses else math.nan,
        initial_metric=_finite_or_none(metrics[0]) if metrics else None,
        final_metric=_finite_or_none(metrics[-1]) if metrics else None,
        best_metric=max(finite_metrics) if finite_metrics else None,
        losses=[curve[s] for s in checked if s < len(curve)],
        checked_steps=checked,
        weight_decay_removed=decays,
        dropout_disabled=dropouts,
        frozen_params=frozen,
        not_in_optimizer=orphans,
        chance=chance_host[0] if chance_host else None,
        chance_loss=_uniform_guess_loss(task),
        trainable=stepper.trainable,
        optimizer=type(optimizer).__name__,
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        seconds=time.perf_counter() - started,
    )
    ctx.fresh_model()
    return result


# -- regularization ------------------------------------------------------------------------
@dataclass
class DropoutEffect:
    name: str
    kind: str
    p: float
    output_change: float  # max |out(active) - out(inactive)| / mean |out|, this module alone active


@dataclass
class RegularizationStats:
    batches: int
    data_loss: float  # dropout inactive, no penalty
    l2_norm_sq: float  # sum of squared parameters the L2 term covers
    l2_lambda: float  # coefficient of the test penalty (lambda / 2 * |W|^2)
    l2_source: str  # "optimizer weight_decay" or "reference"
    penalized_loss: float
    weight_decay: float  # the user's largest weight_decay
    decoupled: bool  # AdamW-style decay: acts on the weights, not through the loss
    dropout: list[DropoutEffect] = field(default_factory=list)
    dropout_loss: float | None = None  # dropout active, same batches and weights

    @property
    def penalty(self) -> float:
        return self.penalized_loss - self.data_loss


@probe("regularization", "loss with an L2 penalty and with dropout on vs off", cost="forward")
def regularization(ctx: Context) -> RegularizationStats:
    count = int(ctx.settings.probe_setting("regularization", "batches", 8))
    reference = float(ctx.settings.probe_setting("regularization", "l2_lambda", 1e-4))
    deadline = _deadline(ctx, "regularization", 30.0)
    batches = ctx.train_batches()[: max(1, count)]
    model = ctx.fresh_model()
    optimizer = ctx.make_optimizer(model)
    names = module_names(model)
    dropouts = [(names[m], m) for m in model.modules() if isinstance(m, DROPOUTS) and m.p > 0]

    # the L2 term the optimizer's coupled weight decay amounts to, or a reference one
    decay_groups = [
        (float(g.get("weight_decay") or 0.0), g["params"]) for g in optimizer.param_groups if g.get("params")
    ]
    max_wd = max((wd for wd, _ in decay_groups), default=0.0)
    decoupled = type(optimizer).__name__ in _DECOUPLED or any(
        g.get("decoupled_weight_decay") for g in optimizer.param_groups
    )
    zero = torch.zeros((), device=ctx.device)
    if max_wd > 0 and not decoupled:
        penalty = sum(
            (0.5 * wd * sum((p.detach().float().pow(2).sum() for p in params), zero) for wd, params in decay_groups),
            zero,
        )
        norm_sq = sum((p.detach().float().pow(2).sum() for wd, ps in decay_groups if wd > 0 for p in ps), zero)
        lam, source = max_wd, "optimizer weight_decay"
    else:
        norm_sq = sum((p.detach().float().pow(2).sum() for p in model.parameters() if p.requires_grad), zero)
        lam, source = (
            reference,
            "reference" if not max_wd else "reference; decoupled weight decay is not part of the loss",
        )
        penalty = 0.5 * lam * norm_sq

    def set_dropout(active: bool, only: nn.Module | None = None) -> None:
        for _, m in dropouts:
            m.train(active and (only is None or m is only))

    data_losses: list[torch.Tensor] = []
    penalized: list[torch.Tensor] = []
    drop_losses: list[torch.Tensor] = []
    changes: list[torch.Tensor] = []
    try:
        with torch.no_grad(), ctx.autocast():
            for index, batch in enumerate(batches):
                if index and time.perf_counter() > deadline:
                    break  # fewer batches, still a valid comparison on the same ones
                set_dropout(False)
                output, target = ctx.forward(model, batch)
                loss = ctx.loss(output, target).detach()
                data_losses.append(loss.float())
                # added in the loss's own dtype, as a training script would: a penalty below the
                # loss's precision does not raise it
                penalized.append((loss + penalty.to(loss.dtype)).float())
                if dropouts:
                    set_dropout(True)
                    output_on, target_on = ctx.forward(model, batch)
                    drop_losses.append(ctx.loss(output_on, target_on).detach().float())
            if dropouts:
                batch = batches[0]
                set_dropout(False)
                base = first_tensor(ctx.forward(model, batch)[0])
                scale = base.detach().float().abs().mean().clamp_min(1e-12) if base is not None else None
                for _, module in dropouts[:32]:
                    set_dropout(True, only=module)
                    out = first_tensor(ctx.forward(model, batch)[0])
                    if base is None or out is None or scale is None:
                        changes.append(torch.full((), math.nan, device=ctx.device))
                    else:
                        changes.append((out.detach().float() - base.detach().float()).abs().max() / scale)
    finally:
        set_dropout(True)
    data_loss = torch.stack(data_losses).mean()
    values = [data_loss, torch.stack(penalized).mean(), norm_sq]
    if drop_losses:
        values.append(torch.stack(drop_losses).mean())
    host = torch.stack([v.float() for v in values] + [c.float() for c in changes]).cpu().tolist()  # one read
    effects = [
        DropoutEffect(name=name, kind=type(m).__name__, p=float(m.p), output_change=host[len(values) + i])
        for i, (name, m) in enumerate(dropouts[: len(changes)])
    ]
    ctx.fresh_model()
    return RegularizationStats(
        batches=len(data_losses),
        data_loss=host[0],
        l2_norm_sq=host[2],
        l2_lambda=lam,
        l2_source=source,
        penalized_loss=host[1],
        weight_decay=max_wd,
        decoupled=bool(decoupled),
        dropout=effects,
        dropout_loss=host[3] if drop_losses else None,
    )
