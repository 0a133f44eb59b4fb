"""The training experiments: a short run with the user's optimizer, the tiny-subset overfit, and
the regularization sanity test.

Each is an experiment (`ctx.experiment()`): it starts from the saved initial state and the engine
resets the private model afterwards. Runs are bounded by steps, so their results do not depend on
how fast or busy the machine is; the run's wall-clock safety cap (`budget_s`), when set and hit,
discards the experiment (`NotJudged`) rather than judging a partial one. Statistics stay on the
device: per-step losses go into one preallocated device buffer (`StepLosses`), per-layer gradient
norms and update ratios are stacked every few steps, and the host reads them once at the end.
The only mid-run reads are a small slice of the loss curve every `check_every` steps, which is
what it takes to stop early on NaN, divergence or a reached goal.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.batches import first_tensor, sample_count, take_samples
from nndoctor.context import Context
from nndoctor.declare import setting
from nndoctor.errors import NotJudged
from nndoctor.layers import DROPOUTS, NORMS, library_owned, module_names
from nndoctor.probe import probe
from nndoctor.probes.loop import (
    MetricAccumulator,
    StepLosses,
    Stepper,
    eval_mode,
    evaluate,
    fetch,
    majority_share,
    metric_name,
    uniform_guess_loss,
    weighted_layers,
)
from nndoctor.probes.units import DeadUnits, units_after_training
from nndoctor.setup import Setup
from nndoctor.tasks import TaskInfo

TRACKED_ELEMENTS = 4096  # per layer: update ratios are measured on a fixed random subset of weights


def check_cap(ctx: Context, what: str, done: int, planned: int) -> None:
    """Stop an experiment the wall-clock safety cap has cut; its partial result is not judged."""
    left = ctx.time_left()
    if left is not None and left <= 0 and done < planned:
        raise NotJudged(
            f"the wall-clock safety cap (budget_s {ctx.settings.budget_s:g}s) cut {what} after {done} of "
            f"{planned} steps; raise it (--budget) or use a profile with fewer steps"
        )


# optimizers whose `weight_decay` shrinks the weights directly instead of adding an L2 term to the loss
_DECOUPLED = ("AdamW",)


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
    stop_reason: str  # completed | nonfinite | diverged
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
    dead_units: list[DeadUnits] | None = None  # at the end of the run (ND406); None: not measured
    eps_limit: EpsLimit | None = None  # an adaptive optimizer's eps against its gradient scale, at the end
    maximize: bool = False  # a param group of the optimizer ascends (`maximize=True`)
    extended: int = 0  # steps run past `steps_planned` because the loss was flat at its end (a plateau)
    plateau_tried: int = 0  # steps run past a flat end that did not break it (dropped from the record)

    @property
    def first_nonfinite(self) -> int | None:
        return next((i for i, v in enumerate(self.losses) if not math.isfinite(v)), None)

    def artifacts(self) -> dict[str, Any]:
        """What the report's artifacts carry for the loss-curve picture: every step's training loss
        and the eval-mode points (non-finite values become strings in the JSON)."""
        return {
            "short_run": {
                "losses": list(self.losses),
                "evals": [asdict(point) for point in self.evals],
                "metric": self.metric,
                "steps_planned": self.steps_planned,
                "steps_run": self.steps_run,
                "stop_reason": self.stop_reason,
                "optimizer": self.optimizer,
                "lr": self.lr,
                "precision": self.precision,
            }
        }


def _plan_points(steps: int, count: int) -> list[int]:
    """`count` evaluation points spread over the run, always including the start and the end."""
    count = max(2, count)
    return sorted({round(i * steps / (count - 1)) for i in range(count)})


@dataclass(frozen=True)
class ShortRunSettings:
    steps: int = setting(200, minimum=2, help="optimizer steps with the user's optimizer")
    check_every: int = setting(25, minimum=1, help="steps between the reads that stop on NaN or divergence")
    track_points: int = setting(10, minimum=1, help="steps at which per-layer gradients and updates are tracked")
    eval_points: int = setting(3, minimum=2, help="evaluations of train and validation loss along the run")
    eval_batches: int = setting(5, minimum=1, help="batches each evaluation averages over")
    diverge_factor: float = setting(100.0, above=1, help="stop when the loss exceeds this many times its start")
    plateau_steps: int = setting(
        200, minimum=0, help="extra steps when the loss is flat at the end of the run (a plateau that may break)"
    )


@probe("short_run", "a short training run with the user's optimizer", cost="train", settings=ShortRunSettings)
def short_run(ctx: Context, model: nn.Module, settings: ShortRunSettings, setup: Setup) -> ShortRun:
    task: TaskInfo = setup.task
    steps, check_every, diverge_factor = settings.steps, settings.check_every, settings.diverge_factor
    started = time.perf_counter()
    optimizer = ctx.make_optimizer(model)
    stepper = Stepper(ctx, model, optimizer)
    train_eval = ctx.train_batches()[: settings.eval_batches]
    val = ctx.val_batches()
    val_eval = val[: settings.eval_batches] if val else None
    layers = weighted_layers(model)
    samples = _tracked_subsets(layers, ctx.device)
    track_every = max(1, steps // settings.track_points)
    evals_at = set(_plan_points(steps, settings.eval_points))

    extra = settings.plateau_steps
    losses = StepLosses(steps + extra, ctx.device)
    zero = torch.zeros((), device=ctx.device)
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

    def train(stream: Iterator[Any], until: int, label: str) -> str:
        """Train from `steps_run` to step `until`; the stop reason."""
        nonlocal steps_run, first_loss
        with ctx.progress.task(label, until - steps_run) as advance:
            for batch in itertools.islice(stream, until - steps_run):
                step = steps_run
                _output, _target, loss = stepper.forward(batch)
                losses.record(loss)
                if stepper.backward(loss):
                    if step % track_every == 0:
                        stepper.unscale()
                        grad_norms = (
                            torch.stack(
                                [
                                    torch.linalg.vector_norm(p.grad.detach().float()) if p.grad is not None else zero
                                    for _, _, p in layers
                                ]
                            )
                            if layers
                            else None
                        )
                        before = [p.detach().reshape(-1)[idx] for (_, _, p), idx in zip(layers, samples, strict=True)]
                        stepper.step(stepper.closure(batch))
                        if grad_norms is not None:
                            track_rows.append(torch.stack([grad_norms, _update_ratios(layers, samples, before)]))
                        tracked_steps.append(step)
                    else:
                        stepper.step(stepper.closure(batch))
                steps_run = step + 1
                advance()
                if steps_run in evals_at and steps_run < steps:
                    record_eval(steps_run)
                if steps_run % check_every == 0 or steps_run == until:
                    recent = losses.last(check_every).cpu()  # the read
                    if first_loss is None:
                        first_loss = float(recent[0])
                    if not bool(torch.isfinite(recent).all()):
                        return "nonfinite"
                    if math.isfinite(first_loss) and float(recent.abs().max()) > diverge_factor * max(
                        abs(first_loss), 1e-8
                    ):
                        return "diverged"
                    check_cap(ctx, "the short training run", steps_run, until)
        return "completed"

    record_eval(0)
    extended = plateau_tried = 0
    # fresh batches across the epoch, as training sees them: cycling the few held batches would
    # measure how fast the model memorizes them, and make a healthy train/val gap look like overfitting
    with ctx.train_stream() as stream:
        stop_reason = train(stream, steps, "short training run")
        plateau_possible = stop_reason == "completed" and extra > 0 and stepper.trainable
        if plateau_possible:
            record_eval(steps_run)
        if plateau_possible and _flat(eval_rows):
            # a plateau: transformers and deep nets often sit on one for a few hundred steps before
            # the loss breaks; run on to tell a plateau from a curve that stays flat. A loss that
            # does not break through (falls on at its old pace, or not at all) is judged on the
            # planned steps alone, as if the run had stopped there
            kept = (len(eval_rows), len(track_rows), len(tracked_steps))
            extended = extra
            stop_reason = train(stream, steps + extra, "short training run, past a plateau")
            if stop_reason == "completed":
                record_eval(steps_run)
                if not _broke_through(eval_rows, steps, extra):
                    del eval_rows[kept[0] :], track_rows[kept[1] :], tracked_steps[kept[2] :]
                    losses.count, steps_run, extended, plateau_tried = steps, steps, 0, extra
    if not eval_rows or eval_rows[-1][0] != steps_run:
        record_eval(steps_run)

    # one transfer for everything measured on the device
    eval_table = torch.stack([row for _, row in eval_rows])
    track_table = torch.stack(track_rows) if track_rows else None  # [points, 2, layers]
    chance = majority_share(task, train_eval)
    eps_scale = _eps_scales(optimizer, layers, samples)
    curve, evals_flat, tracks_flat, chance_host, scales = fetch(
        [losses.recorded(), eval_table, track_table, chance, eps_scale[1] if eps_scale else None]
    )
    width = eval_table.shape[1]
    evals_host = [evals_flat[i : i + width] for i in range(0, len(evals_flat), width)]
    per_point = max(1, 2 * len(layers))  # no trainable layer (all frozen): nothing was tracked
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
        maximize=any(bool(group.get("maximize", False)) for group in optimizer.param_groups),
        extended=extended,
        plateau_tried=plateau_tried,
    )
    result.dead_units = units_after_training(ctx, model)
    if eps_scale is not None and scales:
        result.eps_limit = EpsLimit.of(eps_scale[0], scales)
    return result


def _flat(eval_rows: list[tuple[int, torch.Tensor]]) -> bool:
    """The eval-mode training loss at the last evaluation is within 5% of the first (one read)."""
    if len(eval_rows) < 2:
        return False
    start, end = (float(v) for v in torch.stack([eval_rows[0][1][0], eval_rows[-1][1][0]]).float().cpu())
    return math.isfinite(start) and math.isfinite(end) and start > 0 and end > 0.95 * start


def _broke_through(eval_rows: list[tuple[int, torch.Tensor]], steps: int, extra: int) -> bool:
    """After the plateau's `extra` steps (the last row; the row before it ends the planned `steps`),
    the eval-mode training loss fell at least 5% of its start, and per step at least 3x as fast as
    in the planned run: it broke through rather than going on at its old pace (one read)."""
    start, mid, end = (
        float(v) for v in torch.stack([eval_rows[0][1][0], eval_rows[-2][1][0], eval_rows[-1][1][0]]).float().cpu()
    )
    if not all(math.isfinite(v) for v in (start, mid, end)) or start <= 0:
        return False
    return end <= 0.95 * start and (mid - end) / extra >= 3 * max(start - mid, 0.0) / steps


@dataclass(frozen=True)
class EpsLimit:
    """How much an adaptive optimizer's `eps` decides its steps.

    Adam-like steps are lr * m / (sqrt(v) + eps): while eps is far below the gradient scale sqrt(v)
    the step is about lr in size whatever the gradient's scale; an eps 10x above it shrinks every
    step 10x or more, so the lr no longer says how far the weights move.
    """

    eps: float
    median_scale: float  # median sqrt(v) over the sampled weights that have a gradient history
    dominated: float  # share of those weights where eps >= 10 x sqrt(v): steps shrunk 11x or more

    @classmethod
    def of(cls, eps: float, scales: list[float]) -> EpsLimit | None:
        seen = sorted(v for v in scales if v > 0 and math.isfinite(v))  # never-updated weights have v = 0
        if not seen:
            return None
        dominated = sum(1 for v in seen if eps >= 10 * v) / len(seen)
        return cls(eps=eps, median_scale=seen[len(seen) // 2], dominated=dominated)

    @property
    def shrink(self) -> float:
        """How many times smaller than lr the typical step is."""
        return (self.median_scale + self.eps) / self.median_scale


def _eps_scales(
    optimizer: torch.optim.Optimizer, layers: list[tuple[str, nn.Module, nn.Parameter]], subsets: list[torch.Tensor]
) -> tuple[float, torch.Tensor] | None:
    """(eps, sqrt(v) on each layer's tracked weights) for an optimizer that divides by sqrt(v) + eps
    (Adam, AdamW, NAdam, RAdam: bias-corrected `exp_avg_sq`; RMSprop `square_avg`; Adagrad `sum`;
    Adamax `exp_inf`), or None. Adadelta, whose eps also sits in the numerator, is left out."""
    group_of = {id(p): group for group in optimizer.param_groups for p in group["params"]}
    parts: list[torch.Tensor] = []
    eps_values: set[float] = set()
    for (_, _, p), idx in zip(layers, subsets, strict=True):
        state = optimizer.state.get(p) or {}
        group = group_of.get(id(p), {})
        eps = group.get("eps")
        if not isinstance(eps, (int, float)) or eps <= 0 or "acc_delta" in state:
            continue
        if "exp_avg_sq" in state:
            v = state["exp_avg_sq"].detach().reshape(-1)[idx].float()
            betas = group.get("betas")
            step = state.get("step")
            if isinstance(betas, (tuple, list)) and step is not None:
                steps = torch.as_tensor(step, dtype=torch.float32, device=v.device)
                v = v / (1 - float(betas[1]) ** steps).clamp_min(1e-12)
            scale = v.sqrt()
        elif "square_avg" in state or "sum" in state:
            total = state["square_avg"] if "square_avg" in state else state["sum"]
            scale = total.detach().reshape(-1)[idx].float().sqrt()
        elif "exp_inf" in state:
            scale = state["exp_inf"].detach().reshape(-1)[idx].float()
        else:
            continue
        parts.append(scale)
        eps_values.add(float(eps))
    if not parts or len(eps_values) != 1:  # param groups with different eps: no single reading
        return None
    return eps_values.pop(), torch.cat(parts)


def _tracked_subsets(layers: list[tuple[str, nn.Module, nn.Parameter]], device: torch.device) -> list[torch.Tensor]:
    """A fixed random subset of each layer's weights (all of a small layer's): the update ratio
    |dW| / |W| measured on it estimates the layer's without copying the whole weight each step."""
    generator = torch.Generator().manual_seed(0)
    subsets = []
    for _, _, p in layers:
        n = p.numel()
        idx = torch.arange(n) if n <= TRACKED_ELEMENTS else torch.randperm(n, generator=generator)[:TRACKED_ELEMENTS]
        subsets.append(idx.to(device))
    return subsets


def _update_ratios(
    layers: list[tuple[str, nn.Module, nn.Parameter]], subsets: list[torch.Tensor], before: list[torch.Tensor]
) -> torch.Tensor:
    """|update| / |weight| per tracked layer, on its subset of weights, on the device."""
    return torch.stack(
        [
            torch.linalg.vector_norm((p.detach().reshape(-1)[idx] - b).float())
            / torch.linalg.vector_norm(b.float()).clamp_min(1e-30)
            for (_, _, p), idx, b in zip(layers, subsets, before, strict=True)
        ]
    )


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


# -- overfit a tiny subset -------------------------------------------------------------------
@dataclass
class OverfitRun:
    samples: int
    steps_planned: int
    steps_run: int
    stop_reason: str  # goal | completed | nonfinite | not_trainable
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
    trainable_params: int = 0
    outputs_per_sample: int = 1  # output values per sample: what memorizing one sample means
    # a custom loss the classification task was only guessed for (integer targets): whether its
    # value changes when the labels are swapped among the samples; None when not measured
    labels_matter: bool | None = None
    # the loss is the user's own (no stock loss, no task hint): the metric is nndoctor's guess
    custom_loss: bool = False
    # no stock loss, whatever the hints say (a task hint names the metric, not what the loss reads)
    own_loss: bool = False

    @property
    def capacity_limited(self) -> bool:
        """Fewer trainable parameters than target values to fit: memorizing is not expected."""
        return 0 < self.trainable_params < self.samples * self.outputs_per_sample


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


@dataclass(frozen=True)
class OverfitSettings:
    samples: int = setting(20, minimum=1, help="training samples in the tiny subset")
    steps: int = setting(300, minimum=1, help="step budget to memorize it")
    check_every: int = setting(10, minimum=1, help="steps between reads of the loss and metric")
    goal_accuracy: float = setting(1.0, above=0, maximum=1, help="accuracy that counts as memorized")
    goal_r2: float = setting(0.95, above=0, maximum=1, help="R^2 that counts as memorized (regression)")


@probe("overfit_tiny", "overfit a tiny subset without regularization", cost="train", settings=OverfitSettings)
def overfit_tiny(ctx: Context, model: nn.Module, settings: OverfitSettings, setup: Setup) -> OverfitRun:
    task: TaskInfo = setup.task
    steps, check_every = settings.steps, settings.check_every
    started = time.perf_counter()
    batch = take_samples(ctx.train_batches(), settings.samples)
    whole = ctx.train_batches()[0]
    if batch is not whole:
        try:  # a tensor as long as the batch that is not per sample (a graph's adjacency) cannot be cut
            with torch.no_grad(), eval_mode(model):  # eval: batch norm's running statistics stay as they are
                ctx.loss(*ctx.forward(model, batch))
        except Exception:  # noqa: BLE001 - the cut batch is not a batch: the first whole one is the subset
            batch = whole
    samples = sample_count(batch)
    optimizer = ctx.make_optimizer(model)
    stepper = Stepper(ctx, model, optimizer)
    name = metric_name(task)
    goal = settings.goal_accuracy if name == "accuracy" else settings.goal_r2 if name == "r2" else None
    metric = MetricAccumulator(task, ctx.device)
    frozen = [pname for pname, p in model.named_parameters() if not p.requires_grad]
    trainable_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    outputs_per_sample = 1
    owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
    orphans = [pname for pname, p in model.named_parameters() if p.requires_grad and id(p) not in owned]

    losses = StepLosses(steps, ctx.device)
    checked: list[int] = []
    # the metric at each check, preallocated like the losses (one small allocation per check would
    # fragment the heap the same way)
    checked_metrics = torch.full((steps // check_every + 2,), math.nan, dtype=torch.float32, device=ctx.device)
    stop_reason = "completed"
    steps_run = 0
    goal_step: int | None = None
    with (
        regularization_off(model, optimizer) as (decays, dropouts),
        ctx.progress.task("overfit a tiny subset", steps) as advance,
    ):
        for step in range(steps):
            output, target, loss = stepper.forward(batch)
            losses.record(loss)
            if step == 0:
                out = first_tensor(output)
                if out is not None and out.dim() > 0 and out.shape[0]:
                    outputs_per_sample = max(1, out.numel() // out.shape[0])
            is_check = step % check_every == 0 or step == steps - 1
            if is_check:
                stats = metric.batch_stats(output, target)
                if stats is not None:
                    checked_metrics[len(checked)] = metric.value(stats).detach()
                checked.append(step)
            trained = stepper.backward(loss)
            if trained:
                stepper.step(stepper.closure(batch))
            steps_run = step + 1
            advance()
            if is_check:
                host = (
                    torch.stack([losses.last(1)[0], checked_metrics[len(checked) - 1]]).cpu().tolist()
                )  # the periodic read
                if not math.isfinite(host[0]):
                    stop_reason = "nonfinite"
                    break
                if goal is not None and math.isfinite(host[1]) and host[1] >= goal - 1e-9:
                    goal_step, stop_reason = step, "goal"
                    break
                if not trained:
                    stop_reason = "not_trainable"
                    break
                check_cap(ctx, "the tiny-subset overfit", steps_run, steps)
    labels_matter = None
    if task.loss_kind is None and not task.hinted and task.kind == "classification" and stop_reason != "nonfinite":
        labels_matter = _labels_matter(ctx, model, batch)
    chance = majority_share(task, [batch])
    curve, metrics, chance_host = fetch(
        [losses.recorded(), checked_metrics[: len(checked)] if checked else None, chance]
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
        chance_loss=uniform_guess_loss(task),
        trainable=stepper.trainable,
        optimizer=type(optimizer).__name__,
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        seconds=time.perf_counter() - started,
        trainable_params=trainable_params,
        outputs_per_sample=outputs_per_sample,
        labels_matter=labels_matter,
        custom_loss=task.loss_kind is None and not task.hinted,
        own_loss=task.loss_kind is None,
    )
    return result


def _labels_matter(ctx: Context, model: nn.Module, batch: Any) -> bool | None:
    """Does the loss change when the same outputs meet the labels of other samples? A loss that
    ignores its targets gives exactly the same value; None when the targets cannot be swapped."""
    with torch.no_grad(), ctx.autocast():
        output, target = ctx.forward(model, batch)
        if not isinstance(target, torch.Tensor) or target.dim() == 0 or target.shape[0] < 2:
            return None
        swapped = target.roll(target.shape[0] // 2, 0)
        if torch.equal(swapped, target):
            return None
        values = torch.stack([ctx.loss(output, target).float(), ctx.loss(output, swapped).float()]).cpu().tolist()
    if not all(math.isfinite(v) for v in values):
        return None
    return abs(values[1] - values[0]) > 1e-6 * max(abs(values[0]), abs(values[1]), 1e-12)


# -- regularization ------------------------------------------------------------------------
@dataclass
class DropoutEffect:
    name: str
    kind: str
    p: float
    output_change: float  # max |out(active) - out(inactive)| / mean |out|, this module alone active
    library: bool = False  # built by an installed library's module (transformers, ...), not the user's code


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
    optimizer_name: str = ""
    dropout: list[DropoutEffect] = field(default_factory=list)
    dropout_loss: float | None = None  # dropout active, same batches and weights
    # the weight-decay term over the weight matrices and kernels outside normalization layers: the
    # part that pulls against the data (norm scales and biases are decayed too, but cheaply)
    matrix_penalty: float = 0.0

    @property
    def penalty(self) -> float:
        return self.penalized_loss - self.data_loss


@dataclass(frozen=True)
class RegularizationSettings:
    batches: int = setting(8, minimum=1, help="training batches the losses are averaged over")
    l2_lambda: float = setting(1e-4, above=0, help="coefficient of the reference L2 penalty")


@probe(
    "regularization",
    "loss with an L2 penalty and with dropout on vs off",
    cost="forward",
    settings=RegularizationSettings,
)
def regularization(ctx: Context, model: nn.Module, settings: RegularizationSettings) -> RegularizationStats:
    reference = settings.l2_lambda
    batches = ctx.train_batches()[: settings.batches]
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
    in_norms = {id(p) for m in model.modules() if isinstance(m, NORMS) for p in m.parameters(recurse=False)}
    matrix_penalty = sum(
        (
            0.5
            * wd
            * sum((p.detach().float().pow(2).sum() for p in ps if p.dim() >= 2 and id(p) not in in_norms), zero)
            for wd, ps in decay_groups
        ),
        zero,
    )
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
            for batch in batches:
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
    values = [data_loss, torch.stack(penalized).mean(), norm_sq, matrix_penalty]
    if drop_losses:
        values.append(torch.stack(drop_losses).mean())
    host = torch.stack([v.float() for v in values] + [c.float() for c in changes]).cpu().tolist()  # one read
    effects = [
        DropoutEffect(
            name=name,
            kind=type(m).__name__,
            p=float(m.p),
            output_change=host[len(values) + i],
            library=library_owned(model, name),
        )
        for i, (name, m) in enumerate(dropouts[: len(changes)])
    ]
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
        dropout_loss=host[4] if drop_losses else None,
        matrix_penalty=host[3] if max_wd > 0 and not decoupled else 0.0,
        optimizer_name=type(optimizer).__name__,
    )
