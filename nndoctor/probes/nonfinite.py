"""Where a short run that went NaN/Inf first went wrong: the run replayed to its first bad value.

The short run reads its losses back every few steps, so it knows *that* the loss became
non-finite, not *why*. This probe replays the same run (same initial state, seed, batches and
optimizer, so the same numbers) one step at a time, checks the loss, the gradients and the
weights after every step, and stops at the first non-finite one. That step's batch then goes
through the hooked forward pass (the weights as they were before it, the RNG as it was) or the
hooked backward pass, which names the first module, the loss or the optimizer update. It costs
nothing when the short run stayed finite, and at most the short run's steps when it did not.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.batches import Batch, map_tensors
from nndoctor.context import Context
from nndoctor.probe import probe
from nndoctor.probes.backward import OutputGradients
from nndoctor.probes.forward import ForwardStats, record_forward
from nndoctor.probes.loop import Stepper
from nndoctor.probes.training import ShortRun


@dataclass
class TrainingNonfinite:
    """The first non-finite value of the replayed short run, and where it came from."""

    short_run_step: int  # the step whose loss the short run saw non-finite
    step: int | None  # the replay's first step with a non-finite loss, gradient or weight; None: not reproduced
    # data: the batch itself; forward: a module's output (or code between modules); loss: the loss from finite outputs;
    # gradient: the backward pass of a finite loss; update: the optimizer step from finite gradients
    where: str | None
    optimizer: str
    lr: float | None
    loss: float = math.nan  # the loss at `step`
    forward: ForwardStats | None = None  # the hooked forward pass of `step`'s batch
    grad_modules: list[str] = field(default_factory=list)  # non-finite output gradients, backward order
    grad_params: list[str] = field(default_factory=list)  # parameters with non-finite gradients
    bad_weights: list[str] = field(default_factory=list)  # parameters non-finite after the update
    batch_nonfinite: int = 0  # non-finite values in the batch of `step` (inputs and targets)


@probe("training_nonfinite", "the short run replayed to its first NaN/Inf, localized", cost="train")
def training_nonfinite(ctx: Context, short_run: ShortRun) -> TrainingNonfinite | None:
    first = short_run.first_nonfinite
    if first is None:
        return None
    with ctx.experiment() as model:
        return _replay(ctx, model, first)


def _replay(ctx: Context, model: nn.Module, first: int) -> TrainingNonfinite:
    optimizer = ctx.make_optimizer(model)
    stepper = Stepper(ctx, model, optimizer)
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    found = TrainingNonfinite(
        short_run_step=first,
        step=None,
        where=None,
        optimizer=type(optimizer).__name__,
        lr=float(lr) if isinstance(lr, (int, float)) else None,
    )
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    # fp16's GradScaler skips the steps whose scaled gradients overflow: normal, not a finding
    judge_gradients = stepper.scaler is None
    progress = ctx.progress.task("replaying the short run to its first NaN/Inf", first + 1)
    with progress as advance, ctx.train_stream() as stream:
        for step, batch in enumerate(itertools.islice(stream, first + 1)):
            rng = _rng_state(ctx.device)
            _output, _target, loss = stepper.forward(batch)
            if not bool(torch.isfinite(loss.detach()).all()):
                found.step, found.loss = step, float(loss.detach().float().reshape(-1)[0])
                found.batch_nonfinite = _batch_nonfinite(batch)
                if found.batch_nonfinite:  # a bad row past the batches nndoctor held and checked
                    found.where = "data"
                    return found
                with _rng_restored(rng, ctx.device):
                    found.forward = _hooked_forward(ctx, model, batch)
                found.where = "loss" if _outputs_finite(found.forward) else "forward"
                return found
            if not stepper.backward(loss):
                return found
            if judge_gradients:
                bad = _nonfinite_names(named, lambda p: p.grad)
                if bad:
                    found.step, found.loss, found.where, found.grad_params = step, float(loss.detach()), "gradient", bad
                    with _rng_restored(rng, ctx.device):  # the activations, to tell growth from numerics
                        found.forward = _hooked_forward(ctx, model, batch)
                    with _rng_restored(rng, ctx.device):
                        found.grad_modules = _hooked_backward(model, batch, stepper)
                    return found
            stepper.step(stepper.closure(batch))
            bad = _nonfinite_names(named, lambda p: p)
            if bad:
                found.step, found.loss, found.where, found.bad_weights = step, float(loss.detach()), "update", bad
                return found
            advance()
    return found


def _outputs_finite(stats: ForwardStats) -> bool:
    return (
        not stats.output_nonfinite and stats.first_nonfinite is None and not any(s.input_nonfinite for s in stats.sites)
    )


def _batch_nonfinite(batch: Batch) -> int:
    counts: list[torch.Tensor] = []
    map_tensors(batch, lambda t: counts.append((~torch.isfinite(t)).sum()) if t.is_floating_point() else None)
    return int(torch.stack(counts).sum()) if counts else 0


def _nonfinite_names(named: list[tuple[str, nn.Parameter]], tensor_of: Any) -> list[str]:
    """The parameters whose tensor (`tensor_of(p)`: the weight or its gradient) holds NaN/Inf, with
    one transfer for all of them."""
    tensors = [(name, tensor_of(p)) for name, p in named]
    tensors = [(name, t) for name, t in tensors if t is not None]
    if not tensors:
        return []
    flags = torch.stack([~torch.isfinite(t.detach()).all() for _, t in tensors]).cpu().tolist()
    return [name for (name, _), bad in zip(tensors, flags, strict=True) if bad]


def _hooked_forward(ctx: Context, model: nn.Module, batch: Batch) -> ForwardStats:
    with ctx.autocast():
        return record_forward(ctx, model, [batch])


def _hooked_backward(model: nn.Module, batch: Batch, stepper: Stepper) -> list[str]:
    """The leaf modules whose output gradient is non-finite, in the order the backward pass reaches
    them (the first one sits just before the operation whose backward made the NaN/Inf)."""
    grads = OutputGradients(model)
    try:
        _output, _target, loss = stepper.forward(batch)
        stepper.backward(loss)
    finally:
        grads.close()
    flags = grads.flags(loss.device)
    return grads.flagged(flags.cpu().tolist()) if flags.numel() else []


def _rng_state(device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda


@contextlib.contextmanager
def _rng_restored(state: tuple[torch.Tensor, torch.Tensor | None], device: torch.device) -> Iterator[None]:
    """Run a block with the RNG as it was at `state` (the same dropout masks as the step it
    replays); the RNG the run had continues afterwards."""
    now = _rng_state(device)
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state(state[1], device)
    try:
        yield
    finally:
        torch.set_rng_state(now[0])
        if now[1] is not None:
            torch.cuda.set_rng_state(now[1], device)
