"""The learning-rate range test (Smith, "Cyclical Learning Rates"): train while raising the lr.

Starting from the initial weights and a fresh copy of the user's optimizer, every step multiplies
the learning rate of every param group by the same factor (so the ratios between groups are kept),
from `start` to `end` on an exponential or linear schedule, and records the loss. The sweep stops
when the smoothed loss exceeds `diverge_factor` x its best value or turns non-finite.

On an accelerator the losses stay on the device in a preallocated tensor; the smoothing and the
divergence test run there in chunks of `check_every` steps (default 8) with one host read per
chunk, so a CUDA sweep never waits for the GPU after a step (at most check_every - 1 steps run past
the divergence point and are dropped). On the CPU a read costs nothing, so every loss is read and
tested as it comes, which is cheaper than small tensor ops.

Settings: `nndoctor.lr_suggest.LRRangeSettings` (profile `probes: lr_range:` or the `nndoctor
lr-find` options). The suggestion itself is `nndoctor.lr_suggest.suggest` on the raw curve.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from nndoctor.context import Context
from nndoctor.declare import settings_dict
from nndoctor.errors import UsageError
from nndoctor.lr_suggest import (
    LRRangeSettings,
    Suggestion,
    choose,
    confirmation_candidates,
    loss_trend,
    peer_suggestions,
    suggest,
)
from nndoctor.probe import probe
from nndoctor.probes.loop import clip_gradients, clips, needs_closure, step_optimizer
from nndoctor.probes.training import check_cap
from nndoctor.setup import Setup


@dataclass
class LRRange:
    """The recorded curve and how nndoctor reads it (lrs are the first param group's)."""

    status: str  # ok | no_lr | nonfinite_at_start
    lrs: list[float]
    losses: list[float]  # raw loss per recorded point (train: before the step; val: after it)
    smoothed: list[float]  # debiased EMA with beta `smooth`, what the divergence test uses
    trend: list[float]  # the lag-free trend the suggestion reads (running median + Gaussian in log lr)
    suggestion: Suggestion | None
    peers: dict[str, float | None]
    configured_lr: float | None  # the first param group's lr as the user configured it
    optimizer: str
    groups: int
    start: float
    end: float
    requested_steps: int
    steps: int  # optimizer steps actually taken
    mode: str
    loss_source: str  # train | val
    accumulate: int
    stop_reason: str  # completed | diverged | budget | nonfinite_at_start | no_lr
    seconds: float
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    curve_suggestion: Suggestion | None = None  # the curve's own reading, before confirmation runs
    confirmations: list[Confirmation] = field(default_factory=list)
    held_source: str = ""  # what the confirmation runs are scored on: validation | held-out training
    skipped_steps: int = 0  # steps the GradScaler skipped (not recorded as points)
    epochs_seen: int = 0  # full passes over the training loader during the sweep
    batches_seen: int = 0  # training batches the sweep drew (fresh ones, across epochs)

    def curve(self) -> list[dict[str, float]]:
        return [
            {"lr": lr, "loss": loss, "smoothed": sm, "trend": tr}
            for lr, loss, sm, tr in zip(self.lrs, self.losses, self.smoothed, self.trend, strict=True)
        ]

    def summary(self) -> dict[str, Any]:
        """Plain-JSON summary for the report's artifacts."""
        return {
            "status": self.status,
            "message": self.message,
            "suggestion": self.suggestion.to_dict() if self.suggestion else None,
            "peers": dict(self.peers),
            "configured_lr": self.configured_lr,
            "optimizer": self.optimizer,
            "param_groups": self.groups,
            "start": self.start,
            "end": self.end,
            "requested_steps": self.requested_steps,
            "steps": self.steps,
            "mode": self.mode,
            "loss_source": self.loss_source,
            "accumulate": self.accumulate,
            "stop_reason": self.stop_reason,
            "curve_suggestion": self.curve_suggestion.to_dict() if self.curve_suggestion else None,
            "confirmations": [c.to_dict() for c in self.confirmations],
            "held_source": self.held_source,
            "skipped_steps": self.skipped_steps,
            "batches_seen": self.batches_seen,
            "epochs_seen": self.epochs_seen,
            "seconds": round(self.seconds, 3),
            "settings": dict(self.settings),
        }

    def artifacts(self) -> dict[str, Any]:
        """What the report's artifacts carry: the curve and its reading."""
        return {"lr_curve": self.curve(), "lr_range": self.summary()}


def lr_schedule(start: float, end: float, steps: int, mode: str) -> list[float]:
    """The first group's lr at each step: geometric (exp) or arithmetic (linear) from start to end."""
    if steps == 1:
        return [start]
    if mode == "exp":
        ratio = math.log(end / start)
        return [start * math.exp(ratio * i / (steps - 1)) for i in range(steps)]
    return [start + (end - start) * i / (steps - 1) for i in range(steps)]


def _group_lr(group: dict[str, Any]) -> float | None:
    lr = group.get("lr")
    if isinstance(lr, torch.Tensor) and lr.numel() == 1:
        return float(lr)
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        return float(lr)
    return None


def _set_lr(groups: list[dict[str, Any]], ratios: list[float], lr: float) -> None:
    for group, ratio in zip(groups, ratios, strict=True):
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr * ratio)  # a tensor lr (capturable/fused optimizers) stays a tensor
        else:
            group["lr"] = lr * ratio


class _Tracker:
    """The smoothed loss and the divergence test.

    On an accelerator the losses stay on the device: points are smoothed and tested in chunks with
    tensor ops and one host read per chunk. On the CPU reading a loss costs nothing, so each one is
    read as it comes and tested at once in plain Python, which is cheaper than small tensor ops.
    """

    def __init__(self, size: int, beta: float, factor: float, device: torch.device, host: bool) -> None:
        self.beta, self.factor, self.device = beta, factor, device
        self.host = host
        self.done = 0  # points already smoothed and tested
        if self.host:
            self.host_raw: list[float] = []
            self.host_smoothed: list[float] = []
            self.host_avg, self.host_best = 0.0, math.inf
        else:
            self.raw = torch.full((size,), math.nan, device=device)
            self.smoothed = torch.full((size,), math.nan, device=device)
            self.avg = torch.zeros((), device=device)
            self.best = torch.full((), math.inf, device=device)
            self._decay: dict[int, torch.Tensor] = {}

    def record(self, k: int, value: torch.Tensor) -> None:
        if self.host:
            self.host_raw.append(float(value))
        else:
            self.raw[k] = value  # stays on the device: no sync

    def scan(self, upto: int) -> int | None:
        """Smooth and test points done..upto-1; the first diverged index among them, if any."""
        if upto <= self.done:
            return None
        return self._scan_host(upto) if self.host else self._scan_device(upto)

    def _scan_host(self, upto: int) -> int | None:
        beta = self.beta
        for i in range(self.done, upto):
            value = self.host_raw[i]
            self.host_avg = beta * self.host_avg + (1 - beta) * value
            smoothed = self.host_avg / (1 - beta ** (i + 1)) if beta > 0 else self.host_avg
            self.host_smoothed.append(smoothed)
            self.done = i + 1
            if not (math.isfinite(value) and math.isfinite(smoothed)):
                return i
            self.host_best = min(self.host_best, smoothed)
            if self.host_best > 0 and smoothed > self.factor * self.host_best:
                return i
        return None

    def _matrix(self, n: int) -> torch.Tensor:
        if n not in self._decay:
            i = torch.arange(n, dtype=torch.float64)
            powers = (i[:, None] - i[None, :]).clamp(min=0)
            mat = torch.where(i[:, None] >= i[None, :], (1 - self.beta) * self.beta**powers, 0.0)
            self._decay[n] = mat.to(device=self.device, dtype=torch.float32)
        return self._decay[n]

    def _scan_device(self, upto: int) -> int | None:
        lo, n = self.done, upto - self.done
        chunk = self.raw[lo:upto]
        carry = self.beta ** torch.arange(1, n + 1, device=self.device, dtype=torch.float32)
        avg = self._matrix(n) @ chunk + carry * self.avg  # the EMA of the chunk in one product
        steps = torch.arange(lo + 1, upto + 1, device=self.device, dtype=torch.float32)
        debias = 1 - self.beta**steps if self.beta > 0 else torch.ones_like(steps)
        smoothed = avg / debias
        self.smoothed[lo:upto] = smoothed
        best = torch.minimum(torch.cummin(smoothed.nan_to_num(nan=math.inf), 0).values, self.best)
        bad = ~torch.isfinite(chunk) | ~torch.isfinite(smoothed) | ((best > 0) & (smoothed > self.factor * best))
        first = torch.where(bad, torch.arange(n, device=self.device), n).min()
        self.avg, self.best, self.done = avg[-1], best[-1], upto
        index = int(first)  # the one host read of this chunk
        return lo + index if index < n else None

    def curves(self, kept: int) -> tuple[list[float], list[float]]:
        """Raw and smoothed losses of the first `kept` points (one transfer from the device)."""
        if self.host:
            return self.host_raw[:kept], self.host_smoothed[:kept]
        host = torch.stack([self.raw[:kept], self.smoothed[:kept]]).cpu().tolist()
        return host[0], host[1]


@dataclass
class Confirmation:
    """A short constant-lr run from the initial weights, scored on held-out batches."""

    lr: float  # the first param group's lr
    loss: float  # mean held-out loss after the run (inf when the run diverged)
    metric: float | None  # the task metric on the same batches (accuracy / R^2), when measurable
    per_batch: list[float]  # the held-out loss of each held batch (paired across candidates)
    steps: int
    diverged: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "loss": self.loss if math.isfinite(self.loss) else None,
            "metric": self.metric,
            "steps": self.steps,
            "diverged": self.diverged,
        }


def _held_loss(ctx: Context, model: torch.nn.Module, batches: list[Any]) -> tuple[list[float], float | None]:
    """Per-batch loss (eval mode, no grad) on the held batches and the task metric over them."""
    from nndoctor.probes.loop import MetricAccumulator

    metric = MetricAccumulator(ctx.setup.task, ctx.device)
    losses: list[torch.Tensor] = []
    model.eval()
    try:
        with torch.no_grad(), ctx.autocast():
            for batch in batches:
                output, target = ctx.forward(model, batch)
                losses.append(ctx.loss(output, target).detach().float())
                metric.add(output, target)
    finally:
        model.train()
    values = torch.stack(losses).cpu().tolist()  # one transfer
    m = float(metric.value()) if metric.usable else None
    return values, (m if m is not None and math.isfinite(m) else None)


def _scaler(ctx: Context) -> torch.amp.GradScaler | None:
    return torch.amp.GradScaler(ctx.device.type) if ctx.settings.precision == "fp16" else None


def _found_inf(scaler: torch.amp.GradScaler, optimizer: torch.optim.Optimizer) -> torch.Tensor:
    """After `unscale_`: a device scalar, > 0 when this step's gradients hold an inf/NaN (the
    GradScaler then skips the step). No host read."""
    found = scaler._found_inf_per_device(optimizer)  # the flags step() itself reads
    return sum(found.values()) if found else torch.zeros(())


def confirm_lrs(
    ctx: Context,
    candidates: list[float],
    ratios: list[float],
    steps: int,
    held: list[Any],
    skip: int,
) -> list[Confirmation]:
    """Train `steps` steps at each candidate lr (constant, every group keeping its ratio) from the
    initial weights on the same training stream, and score each on the same held batches."""
    out: list[Confirmation] = []
    for lr in candidates:
        with ctx.experiment() as model, ctx.train_stream() as stream:
            optimizer = ctx.make_optimizer(model)
            _set_lr(optimizer.param_groups, ratios, lr)
            scaler = _scaler(ctx)
            clipping = clips(ctx)
            stream.take(skip)  # the held batches the sweep never trains on
            done, diverged = 0, False
            watch = torch.zeros((), device=ctx.device)
            for step in range(steps):
                batch = next(stream)
                optimizer.zero_grad(set_to_none=True)
                with ctx.autocast():
                    output, target = ctx.forward(model, batch)
                    loss = ctx.loss(output, target)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    if clipping:
                        scaler.unscale_(optimizer)
                        clip_gradients(ctx, optimizer)
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    clip_gradients(ctx, optimizer)
                    step_optimizer(optimizer, _closure(ctx, model, optimizer, batch))
                watch = watch + loss.detach().float()
                done = step + 1
                if (done % 16 == 0 or done == steps) and not math.isfinite(float(watch)):  # a read per 16 steps
                    diverged = True
                    break
            per_batch, metric = ([], None) if diverged else _held_loss(ctx, model, held)
            mean = sum(per_batch) / len(per_batch) if per_batch else math.inf
            if not math.isfinite(mean):
                diverged, mean, metric = True, math.inf, None
            out.append(Confirmation(lr, mean, metric, per_batch, done, diverged))
    return out


def _val_loss(ctx: Context, model: torch.nn.Module, batches: list[Any]) -> torch.Tensor:
    """Mean loss over the validation batches, in eval mode, as a device scalar (no sync)."""
    model.eval()
    total = None
    with torch.no_grad(), ctx.autocast():
        for batch in batches:
            output, target = ctx.forward(model, batch)
            loss = ctx.loss(output, target).detach().float()
            total = loss if total is None else total + loss
    model.train()
    assert total is not None
    return total / len(batches)


def held_batches(ctx: Context, s: dict[str, Any]) -> tuple[list[Any], int, str]:
    """The batches confirmation runs are scored on, how many stream batches to skip for them, and
    what they are: the validation loader's first batches when there is one, else the first
    batches of the training stream, which neither the sweep nor the confirmation runs train on."""
    count = s["held_batches"]
    val = ctx.val_batches()
    if val:
        return list(val[:count]), 0, "validation"
    with ctx.train_stream() as stream:
        return stream.take(count), count, "held-out training"


@probe("lr_range", "learning-rate range test", cost="train", settings=LRRangeSettings)
def lr_range(ctx: Context, model: torch.nn.Module, settings: LRRangeSettings, setup: Setup) -> LRRange:
    s = settings_dict(settings)
    started = time.perf_counter()
    optimizer = ctx.make_optimizer(model)
    groups = optimizer.param_groups
    base = [_group_lr(g) for g in groups]
    name = type(optimizer).__name__
    common: dict[str, Any] = {
        "optimizer": name,
        "groups": len(groups),
        "start": s["start"],
        "end": s["end"],
        "requested_steps": s["steps"],
        "mode": s["mode"],
        "loss_source": s["loss"],
        "accumulate": s["accumulate"],
        "settings": s,
    }
    if not groups or any(b is None for b in base):
        return LRRange(
            status="no_lr",
            lrs=[],
            losses=[],
            smoothed=[],
            trend=[],
            suggestion=None,
            peers={},
            configured_lr=None,
            steps=0,
            stop_reason="no_lr",
            seconds=time.perf_counter() - started,
            message=f"the optimizer {name} has no numeric `lr` in its param groups, so there is no learning rate to sweep",
            **common,
        )
    configured = float(base[0])  # type: ignore[arg-type]
    # every group keeps its ratio to the first one; with a first lr of 0 there is no ratio to keep
    ratios = [b / configured if configured > 0 else 1.0 for b in base]  # type: ignore[operator]
    schedule = lr_schedule(s["start"], s["end"], s["steps"], s["mode"])
    val_batches = None
    if s["loss"] == "val":
        val = ctx.val_batches()
        if not val:
            raise UsageError("The validation-loss range test needs a validation loader; the target has none.")
        val_batches = val[: s["val_batches"]]
        recorded = [i for i in range(s["steps"]) if i % s["val_every"] == 0 or i == s["steps"] - 1]
    else:
        recorded = list(range(s["steps"]))
    slot = {step: k for k, step in enumerate(recorded)}
    # on the CPU a host read is free: test every step in Python unless a chunk size is forced
    host = ctx.device.type == "cpu" and s["check_every"] is None
    check_every = 1 if host else s["check_every"] or 8
    tracker = _Tracker(len(recorded), s["smooth"], s["diverge_factor"], ctx.device, host)
    held, skip, held_source = held_batches(ctx, s) if s["confirm"] else ([], 0, "")
    scaler = _scaler(ctx)
    skipped = torch.zeros(len(recorded), device=ctx.device) if scaler is not None else None
    stop_reason, diverged_at, steps_done = "completed", None, 0
    # the per-step work is the range test's whole cost beyond training itself: what does not change
    # between steps (the loss function, autocast, closure, budget) is settled once here
    accumulate, last = s["accumulate"], s["steps"] - 1
    loss_fn, forward = ctx.loss, ctx.forward
    mixed = ctx.settings.precision != "fp32"
    closure = needs_closure(optimizer)
    capped = ctx.settings.budget_s is not None
    with ctx.progress.task("LR range test", s["steps"]) as advance, ctx.train_stream() as stream:
        stream.take(skip)
        for step, lr in enumerate(schedule):
            _set_lr(groups, ratios, lr)
            optimizer.zero_grad(set_to_none=True)
            total: torch.Tensor | None = None
            for _ in range(accumulate):
                batch = next(stream)
                if mixed:
                    with ctx.autocast():
                        loss = loss_fn(*forward(model, batch))
                else:
                    loss = loss_fn(*forward(model, batch))
                scaled = loss / accumulate if accumulate > 1 else loss
                (scaler.scale(scaled) if scaler is not None else scaled).backward()
                total = loss.detach() if total is None else total + loss.detach()
            if scaler is not None:
                scaler.unscale_(optimizer)
                found = _found_inf(scaler, optimizer)
                clip_gradients(ctx, optimizer)
                scaler.step(optimizer)
                scaler.update()
            elif closure:
                clip_gradients(ctx, optimizer)
                step_optimizer(optimizer, _closure(ctx, model, optimizer, batch))
            else:
                clip_gradients(ctx, optimizer)
                optimizer.step()
            steps_done = step + 1
            k = slot.get(step) if val_batches is not None else step
            if k is not None:
                assert total is not None
                if val_batches is not None:
                    value = _val_loss(ctx, model, val_batches)
                else:
                    value = total if accumulate == 1 else total / accumulate
                if skipped is not None:
                    skipped[k] = found
                tracker.record(k, value)
                if (k + 1) % check_every == 0 or step == last:
                    diverged_at = tracker.scan(k + 1)
                    if diverged_at is not None:
                        stop_reason = "diverged"
                        advance(1)
                        break
            advance(1)
            if capped:
                check_cap(ctx, "the LR range test", steps_done, s["steps"])
    finished = sum(1 for r in recorded if r < steps_done)
    if diverged_at is None and tracker.done < finished:  # the last chunk may not have been scanned
        diverged_at = tracker.scan(finished)
        stop_reason = "diverged" if diverged_at is not None else stop_reason
    # keep the first diverged point: it marks where the loss blew up
    kept = diverged_at + 1 if diverged_at is not None else finished
    losses, smoothed = tracker.curves(kept)
    lrs = [schedule[recorded[k]] for k in range(kept)]
    skipped_steps = 0
    if skipped is not None and kept:
        # a step the GradScaler skipped (inf/NaN gradients in fp16) trained nothing: not a point
        keep = [v == 0 for v in skipped[:kept].cpu().tolist()]
        skipped_steps = keep.count(False)
        lrs = [v for v, k in zip(lrs, keep, strict=True) if k]
        losses = [v for v, k in zip(losses, keep, strict=True) if k]
        smoothed = [v for v, k in zip(smoothed, keep, strict=True) if k]
    nonfinite_at_start = bool(losses) and not math.isfinite(losses[0])
    per_step = 1.0 / s["val_every"] if val_batches is not None else 1.0
    curve = (
        None
        if nonfinite_at_start or not losses
        else suggest(lrs, losses, points_per_step=per_step, stopped_on_divergence=stop_reason == "diverged")
    )
    confirmations: list[Confirmation] = []
    suggestion = curve
    if curve is not None and curve.lr is not None and curve.confident and s["confirm"]:
        candidates = confirmation_candidates(curve, s["confirm"], s["confirm_spread"])
        confirmations = confirm_lrs(ctx, candidates, ratios, s["confirm_steps"], held, skip)
        suggestion = choose(curve, [(c.lr, c.loss, c.per_batch) for c in confirmations], held_source)
    peers = {} if nonfinite_at_start else peer_suggestions(lrs, losses)
    return LRRange(
        status="nonfinite_at_start" if nonfinite_at_start else "ok",
        lrs=lrs,
        losses=losses,
        smoothed=smoothed,
        trend=loss_trend(lrs, losses),
        suggestion=suggestion,
        peers=peers,
        configured_lr=configured,
        steps=steps_done,
        stop_reason="nonfinite_at_start" if nonfinite_at_start else stop_reason,
        seconds=time.perf_counter() - started,
        message=(
            f"the loss is {losses[0]} at the very first step (lr {schedule[0]:.3g})"
            if nonfinite_at_start
            else (suggestion.reason if suggestion else "")
        ),
        curve_suggestion=curve,
        confirmations=confirmations,
        held_source=held_source,
        skipped_steps=skipped_steps,
        epochs_seen=stream.epochs,
        batches_seen=stream.taken,
        **common,
    )


def _closure(ctx: Context, model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: Any) -> Any:
    """The loss re-evaluation LBFGS-like optimizers call inside `step`."""

    def run() -> torch.Tensor:
        optimizer.zero_grad()
        loss = ctx.loss(*ctx.forward(model, batch))
        loss.backward()
        return loss

    return run
