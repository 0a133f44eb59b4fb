"""ND501-ND511: the real training loop, judged from the run `nndoctor watch` recorded.

Every check reads one value, `watched_run` (a `nndoctor.observe.series.WatchedRun`): the per-step
counters, the sampled statistics, the validation passes and the first non-finite step of the
user's own script. A pre-flight run over a recipe has no such run, so these checks skip there
(the shipped `default` profile leaves them out; the `watch` profile selects them).
"""

from __future__ import annotations

import itertools
import math
import statistics
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Table, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.observe.series import WatchedRun

# schedules written for one step() per epoch: stepped per batch they decay len(loader) times too fast
PER_EPOCH_SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "ReduceLROnPlateau", "PolynomialLR")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _finite(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _step(index: int) -> int:
    """0-based step index as people count it."""
    return index + 1


def _total(norms: list[float | None]) -> float:
    return math.sqrt(sum(v * v for v in norms if v is not None and math.isfinite(v)))


@check(
    "ND501",
    "gradients-not-zeroed",
    "Gradients are cleared between optimizer steps",
    cost="train",
    thresholds={"max_kept_share": 0.5},
    explains=["ND504", "ND505"],
)
def gradients_not_zeroed(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """Gradients that pile up across optimizer steps, or are cleared before the step uses them.

    What it checks:
    At every optimizer step of your run (every optimizer's, for a GAN or one optimizer per module
    group), whether the gradient tensors are new or zeroed since the previous step (`zero_grad()`
    was called) or are the same tensors, only accumulated into, with no `zero_grad()` call in
    between; and whether every gradient is None at the step although
    `backward()` ran: a `zero_grad()` between `backward()` and `step()` when one was called there,
    else a backward pass that never reaches the optimizer's parameters (a detached output, an
    optimizer built over another copy of the model). Several backward passes
    per step followed by one `zero_grad()` is deliberate gradient accumulation and passes; several
    with a `zero_grad()` between them at most steps warns: only the last one's gradient reaches the
    step (an `optimizer.step()` dedented out of the batch loop).

    Why it matters:
    PyTorch adds every backward pass into `.grad`. Without `zero_grad()` each step uses the sum of
    all gradients since the start: the update grows step after step, points along stale
    directions and training drifts or blows up. A `zero_grad()` placed between `backward()` and
    `step()` does the opposite: the step finds no gradient and the weights never move.

    Evidence:
    The share of steps whose gradients were kept from the previous step, the zero_grad and
    backward calls per step, the gradient norm at the first and last sampled steps.

    How to fix:
    Call `optimizer.zero_grad()` once per optimizer step, before the backward passes that feed it
    (at the top of the loop body, or right after `optimizer.step()`), never between `backward()`
    and `step()`. For gradient accumulation, zero once after each `step()`, not per micro-batch.
    """
    run = watched_run
    if run.steps < 3:
        raise Skip(f"the run made {run.steps} optimizer step(s); it takes 3 to see a pattern")
    later = run.grad_pattern[1:]
    kept = sum(1 for p in later if p == "kept")
    none = sum(1 for p, b in zip(run.grad_pattern, run.backwards, strict=False) if p == "none" and b > 0)
    zero_calls = sum(run.zero_grads)
    per_step_backward = _median([float(b) for b in run.backwards[1:]]) if run.backwards[1:] else 0.0
    norms = [_total(s.grad_norms) for s in run.samples if any(g is not None for g in s.grad_norms)]
    evidence: dict[str, object] = {
        "steps": run.steps,
        "steps_with_kept_gradients": kept,
        "zero_grad_calls": zero_calls,
        "backward_per_step": per_step_backward,
    }
    if norms:
        evidence["grad_norm_first_sample"] = round(norms[0], 6)
        evidence["grad_norm_last_sample"] = round(norms[-1], 6)
    share = kept / len(later)
    for other in run.other_optimizers:  # a GAN's second optimizer, one optimizer per module group
        steps = int(other.get("steps", 0))
        if steps < 3:
            continue
        other_share = int(other.get("kept", 0)) / (steps - 1)
        if other_share >= limits.max_kept_share and other_share > share:
            where = f" (created at {other['site']})" if other.get("site") else ""
            evidence["other_optimizer"] = f"{other.get('optimizer')}{where}"
            evidence["other_optimizer_steps"] = steps
            evidence["other_optimizer_kept_steps"] = int(other.get("kept", 0))
            evidence["other_optimizer_zero_grad_calls"] = int(other.get("zero_grads", 0))
            return warned(
                f"the gradients of a second optimizer, {other.get('optimizer')}{where}, were never cleared at "
                f"{other.get('kept')} of {steps - 1} of its steps after the first: each of its steps used the sum of "
                f"every gradient since the start ({other.get('zero_grads')} zero_grad() calls on it or its module)",
                evidence,
                fix="Call `zero_grad()` on every optimizer (or on the module it trains) before the backward that "
                "feeds it: `netD.zero_grad()` clears only the discriminator's parameters.",
            )
    if share >= limits.max_kept_share:
        evidence["kept_share"] = round(share, 4)
        message = (
            f"the gradients were never cleared at {kept} of {len(later)} steps after the first: each step "
            f"used the sum of every gradient since the start ({zero_calls} zero_grad() calls in {run.steps} steps)"
        )
        if zero_calls == 0:
            return failed(message, evidence)
        return warned(message, evidence)
    if none >= 0.9 * run.steps:
        evidence["steps_with_every_gradient_none"] = none
        evidence["steps_zeroed_after_backward"] = run.zeroed_after_backward
        if run.zeroed_after_backward >= 0.9 * none:
            return warned(
                f"every gradient was None at {none} of {run.steps} steps although backward() ran: zero_grad() "
                "is called between backward() and step(), so the optimizer never sees a gradient",
                evidence,
                fix="Move `optimizer.zero_grad()` before `loss.backward()` (or after `optimizer.step()`); "
                "between backward() and step() it throws the gradients away.",
            )
        return warned(
            f"every gradient of the optimizer's parameters was None at {none} of {run.steps} steps although "
            "backward() ran and nothing cleared them in between: the backward pass never reaches the parameters "
            "this optimizer holds, so its steps change nothing",
            evidence,
            fix="Keep the loss connected to the model's output (no `.detach()`, `.item()`, `.data` or NumPy round "
            "trip before the loss), and build the optimizer over the parameters of the model that is trained: "
            "after the model's final re-creation, deep copy or `.to()` that makes new parameters.",
        )
    if run.discarded_steps >= 0.5 * run.steps and per_step_backward > 1:
        evidence["steps_with_gradients_thrown_away"] = run.discarded_steps
        return warned(
            f"at {run.discarded_steps} of {run.steps} steps zero_grad() ran between the step's backward passes "
            f"({per_step_backward:g} per step, {zero_calls} zero_grad() calls): only the last backward's gradient "
            "reaches each optimizer step, the others are computed and thrown away",
            evidence,
            fix="Call optimizer.step() inside the batch loop, right after loss.backward() (check its indentation); "
            "to accumulate on purpose, call zero_grad() only after each step.",
        )
    if per_step_backward > 1:
        return passed(
            f"deliberate gradient accumulation: {per_step_backward:g} backward passes per step, gradients "
            "cleared after each step",
            evidence,
        )
    return passed(f"gradients were cleared before every one of {run.steps} steps", evidence)


@check(
    "ND502",
    "scheduler-misused",
    "The LR schedule keeps a usable learning rate",
    cost="train",
    thresholds={
        "min_lr_ratio": 0.01,
        "early_fraction": 0.5,
        "per_step_share": 0.9,
        "cosine_rise": 10.0,
        "iteration_schedule_share": 0.25,
        "per_batch_kept_share": 0.1,
    },
    explains=["ND504", "ND505"],
)
def scheduler_misused(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """An LR scheduler that drives the learning rate to nothing early, or is stepped per batch.

    What it checks:
    The learning rate each optimizer step actually used (param group 0) and how often the
    scheduler's `step()` was called per optimizer step. It warns when the learning rate falls
    to `min_lr_ratio` of its peak or below before `early_fraction` of the run, or when a schedule
    written in epochs (StepLR, MultiStepLR, ExponentialLR, ReduceLROnPlateau, PolynomialLR) is
    stepped after every batch, or when a CosineAnnealingLR is stepped past its `T_max` so that
    the LR climbs back up: an LR `cosine_rise` times a previous minimum, and at least a tenth of
    the peak, after the schedule had annealed. An epoch-type schedule stepped per batch whose first
    change comes only after `iteration_schedule_share` of the run (milestones at iterations 300
    and 450 of 500), or whose LR still holds more than `per_batch_kept_share` of its peak at
    `early_fraction` of the run (PolynomialLR over the run's steps, ExponentialLR with gamma
    0.9995), is sized in iterations on purpose and passes. It also warns when the LR never comes
    within `min_lr_ratio` of the lr the optimizer was built with (the scheduler's `initial_lr`):
    a LambdaLR lambda that returns a learning rate instead of a factor multiplies it in twice.

    Why it matters:
    A schedule stepped per batch instead of per epoch decays `len(loader)` times too fast: a
    StepLR meant to halve the LR every 4 epochs halves it every 4 batches, and after an epoch
    the LR is effectively zero. A `gamma` read as "decay by 1%" (gamma=0.01) multiplies the LR by
    0.01 at every step. Either way the rest of the run trains with an LR that cannot move the
    weights: the loss freezes and the time is wasted. CosineAnnealingLR does not restart on
    purpose: past `T_max` it follows the cosine back up to the base LR (a `T_max` given in epochs or
    in one epoch's batches), and the annealed weights are shaken again.

    Evidence:
    The scheduler class, the scheduler calls per optimizer step, the LR at the start, at its peak,
    at the early checkpoint and at the end.

    How to fix:
    Call `scheduler.step()` once per epoch for epoch-based schedules (after the epoch's loop), and
    once per batch only for per-iteration schedules (OneCycleLR, CyclicLR, warm-up written in
    steps). Check `gamma` and `step_size`: StepLR multiplies the LR by `gamma` every `step_size`
    calls, so a 1% decay is gamma=0.99.
    """
    run = watched_run
    lrs = run.lr_series()
    if run.steps < 10 or not lrs:
        raise Skip(f"the run made {run.steps} optimizer step(s); the schedule needs 10 or more")
    sweep = _lr_sweep_end(lrs)
    if sweep is not None:  # the script's own LR range test first: the schedule starts after it
        swept = (lrs[0], lrs[sweep - 1])
        lrs = [lrs[sweep]] * sweep + lrs[sweep:]
    calls = sum(run.scheduler_calls[1:])
    per_step = calls / max(1, run.steps - 1)
    peak = max(lrs)
    checkpoint = min(len(lrs) - 1, int(len(lrs) * limits.early_fraction))
    evidence: dict[str, object] = {
        "scheduler": run.scheduler,
        "scheduler_calls_per_step": round(per_step, 4),
        "lr_first": lrs[0],
        "lr_peak": peak,
        f"lr_at_step_{_step(checkpoint)}": lrs[checkpoint],
        "lr_last": lrs[-1],
        "steps": run.steps,
    }
    if run.sites.get("scheduler"):
        evidence["scheduler_site"] = run.sites["scheduler"]
    if sweep is not None:
        evidence["lr_range_test"] = {"steps": sweep, "from": swept[0], "to": swept[1]}
        evidence["lr_first"] = lrs[0]
    first_change = next((i for i, lr in enumerate(lrs) if lr != lrs[0]), None)
    if run.scheduler in PER_EPOCH_SCHEDULERS and per_step >= limits.per_step_share:
        if first_change is None or first_change >= limits.iteration_schedule_share * len(lrs):
            evidence["first_lr_change_step"] = _step(first_change) if first_change is not None else None
            return passed(
                f"{run.scheduler} was stepped after every batch, and the LR "
                + (
                    f"first changed at step {_step(first_change)} of {len(lrs)}"
                    if first_change is not None
                    else "never changed"
                )
                + ": a schedule written in iterations (its milestones or step size count batches), not epochs",
                evidence,
            )
        if lrs[checkpoint] > limits.per_batch_kept_share * peak:
            # sized in iterations (PolynomialLR over the run's steps, ExponentialLR with gamma
            # 0.9995): stepped per batch as written, the LR is still a usable share of its peak
            return passed(
                f"{run.scheduler} was stepped after every batch and the LR kept {lrs[checkpoint] / peak:.0%} of its "
                f"peak at step {_step(checkpoint)} of {len(lrs)}: a schedule sized in iterations",
                evidence,
            )
        return warned(
            f"{run.scheduler} was stepped after every batch ({per_step:.2f} calls per optimizer step): a schedule "
            f"written in epochs decays per batch; the LR went from {lrs[0]:.3g} to {lrs[-1]:.3g}",
            evidence,
        )
    if run.scheduler == "CosineAnnealingLR" and peak > 0:
        # the lowest LR since the last new high: a warm-up (each step a new high) never rises
        # from a low; past T_max the LR climbs from near zero back towards the high it fell from
        high, low, low_at = lrs[0], lrs[0], 0
        for i, lr in enumerate(lrs):
            if lr > high:
                high, low, low_at = lr, lr, i
            elif lr < low:
                low, low_at = lr, i
            elif lr >= 0.1 * peak and lr >= limits.cosine_rise * low:
                evidence["lr_min_before_rise"] = low
                evidence["lr_min_at_step"] = _step(low_at)
                evidence["lr_rose_again_at_step"] = _step(i)
                return warned(
                    f"CosineAnnealingLR was stepped past its T_max: the LR annealed to {low:.3g} at step "
                    f"{_step(low_at)} and climbed back to {lr:.3g} by step {_step(i)} of {run.steps}",
                    evidence,
                    fix="Set `T_max` to the number of `scheduler.step()` calls of the whole run (epochs x "
                    "len(loader) when stepped per batch), or use CosineAnnealingWarmRestarts for restarts on purpose.",
                )
    base = run.base_lr
    if base is not None and base > 0 and peak <= limits.min_lr_ratio * base:
        evidence["lr_base"] = base
        return warned(
            f"{run.scheduler or 'the schedule'} never let the learning rate come near the lr the optimizer was "
            f"built with ({base:.3g}): its highest value in the run was {peak:.3g}, {peak / base:.2g}x of it, so "
            "the whole run trains with an LR that barely moves the weights",
            evidence,
            fix="A LambdaLR or MultiplicativeLR lambda returns a factor of the base lr (1.0 keeps it), not the "
            "learning rate itself: return the factor only. Check start_factor/gamma/milestones the same way.",
        )
    if peak > 0 and lrs[checkpoint] <= limits.min_lr_ratio * peak:
        below = next(i for i, v in enumerate(lrs) if v <= limits.min_lr_ratio * peak)
        evidence["lr_below_ratio_from_step"] = _step(below)
        return warned(
            f"the learning rate fell to {limits.min_lr_ratio:g} x its peak ({peak:.3g}) or below at step "
            f"{_step(below)} of {run.steps}: the rest of the run trains with an LR of {lrs[-1]:.3g}",
            evidence,
        )
    what = run.scheduler or "no scheduler"
    return passed(f"{what}: the LR stayed usable ({lrs[0]:.3g} at the start, {lrs[-1]:.3g} at the end)", evidence)


def _lr_sweep_end(lrs: list[float]) -> int | None:
    """Where a hand-written LR range test at the start of the run ends: the LR rose step after
    step by `SWEEP_DECADES` decades or more, then dropped tenfold in one step to the LR the run
    trains with (a warm-up rises too, but flattens or decays smoothly after it). None without."""
    first = lrs[0]
    if first <= 0:
        return None
    for i in range(1, len(lrs) // 2 + 1):
        if lrs[i] >= lrs[i - 1]:
            continue
        rose = lrs[i - 1] / first
        if i >= 10 and rose >= 10**SWEEP_DECADES and lrs[i] <= lrs[i - 1] / 10:
            return i
        return None
    return None


SWEEP_DECADES = 2


@check(
    "ND503",
    "nonfinite-during-training",
    "Loss, gradients and weights stay finite",
    cost="train",
    explains=["ND504", "ND505", "ND507"],
)
def nonfinite_during_training(watched_run: WatchedRun) -> Verdict:
    """NaN or Inf in the loss, the gradients or the weights, localized to where it began.

    What it checks:
    The loss of every optimizer step (checked on the device, read back every few steps) and the
    gradients and weights at the sampled steps. Once a bad value is seen it re-arms the module
    hooks for the next forward: every module output finite means the loss computation produced
    it; otherwise it names the first module that output NaN/Inf from finite inputs, or whose
    weights a bad update already reached.

    Why it matters:
    One NaN in a gradient spreads to every weight the step touches, and from then on every output
    is NaN: training is over, even if a script keeps printing numbers (early stopping on the best
    epoch or an average over a loader can hide it). The first bad step and the first module say
    where to look: a `log(0)`, a division by a zero norm, an exploding layer, an LR too high.

    Evidence:
    The first bad step and its epoch, where it was seen (loss, model output, gradients, weights),
    the module or operation, the last finite loss before it.

    How to fix:
    Use the numerically stable forms: `BCEWithLogitsLoss` / `F.cross_entropy` on logits instead of
    `log(sigmoid)` or `log(softmax)`, `torch.clamp` or an epsilon inside `log` and `sqrt` and
    under divisions. If the weights or gradients blew up first, lower the learning rate, add
    gradient clipping (`torch.nn.utils.clip_grad_norm_`) or warm-up.
    """
    run = watched_run
    if run.steps == 0:
        raise Skip("the run made no optimizer step")
    bad = run.nonfinite
    if bad is None:
        return passed(
            f"every loss of {run.steps} steps was finite, and gradients and weights at {len(run.samples)} sampled "
            "steps",
            {"steps": run.steps, "samples": len(run.samples)},
        )
    evidence: dict[str, object] = {
        "first_bad_step": _step(bad.step),
        "epoch": run.epoch_of(bad.step),
        "where": bad.where,
        "module": bad.module,
        "detail": bad.detail,
        "last_finite_loss": bad.loss_before,
        "steps": run.steps,
    }
    if bad.localized_at is not None and bad.localized_at != bad.step:
        evidence["localized_at_step"] = _step(bad.localized_at)
    where = f" ({bad.module})" if bad.module else ""
    return failed(
        f"NaN/Inf first in the {bad.where}{where} at step {_step(bad.step)} (epoch {run.epoch_of(bad.step)}); "
        f"{bad.detail}",
        evidence,
    )


@check(
    "ND504",
    "loss-curve-unhealthy",
    "The training loss falls over the run",
    cost="train",
    thresholds={"diverge_ratio": 2.0, "flat_change": 0.01, "max_rise": 0.5},
)
def loss_curve_unhealthy(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """A training loss that grows, stays flat or swings up and down over the whole run.

    What it checks:
    The loss of every optimizer step, as medians over windows of a tenth of the run: the last
    window against the first (diverging when it is `diverge_ratio` times higher, flat when it
    moved by less than `flat_change` of its value), the total rise between windows against the
    first window (oscillating when the rises add up to `max_rise` of the starting loss), and
    whether the weights changed at all at the sampled steps.

    Why it matters:
    A loss that grows means the updates overshoot (an LR too high for the curvature, a scaling
    bug); a flat loss means the weights do not move (no gradient reaches the optimizer, an LR of
    zero) or cannot learn; a loss that keeps swinging back up undoes its progress. The script's
    epoch averages and early stopping often hide these until the run is over.

    Evidence:
    The steps, the window medians at the start and the end, their ratio, the summed rises, whether
    the weights moved.

    How to fix:
    Diverging: lower the learning rate (3-10x, or measure it with `nndoctor lr-find`), check that
    the loss is averaged and not summed. Flat: check that `backward()` and `step()` both run and
    that `zero_grad()` is not between them, that the LR is not zero, that the model's parameters
    are in the optimizer. Oscillating: lower the LR or add a decay schedule.
    """
    run = watched_run
    if run.nonfinite is not None:
        raise Skip("the loss went NaN/Inf (ND503): the curve after it means nothing")
    losses = _finite(run.losses)
    if len(losses) < 20:
        raise Skip(f"{len(losses)} finite step losses recorded; the curve needs 20 or more")
    window = max(2, len(losses) // 10)
    first, last = _median(losses[:window]), _median(losses[-window:])
    medians = [_median(losses[i : i + window]) for i in range(0, len(losses) - window + 1, window)]
    rises = sum(max(0.0, b - a) for a, b in itertools.pairwise(medians))
    moved = [s.update_norms for s in run.samples if s.update_norms is not None]
    never_moved = len(moved) >= 3 and all(all(v == 0 for v in u) for u in moved)
    scale = max(abs(first), 1e-12)
    evidence: dict[str, object] = {
        "steps": run.steps,
        "window_steps": window,
        "loss_start": round(first, 6),
        "loss_end": round(last, 6),
        "ratio_end_to_start": round(last / first, 6) if first else None,
        "summed_rises": round(rises, 6),
        "weights_moved": not never_moved,
    }
    table = Table("Loss per window", ["window", "median loss"], [[i + 1, round(m, 6)] for i, m in enumerate(medians)])
    if never_moved:
        return warned(
            f"flat: the weights did not change at any of {len(moved)} sampled steps (loss {first:.4g} -> {last:.4g})",
            evidence,
            tables=[table],
        )
    if first > 0 and last > limits.diverge_ratio * first:
        return warned(
            f"diverging: the loss grew from {first:.4g} to {last:.4g} ({last / first:.3g}x) over {run.steps} steps",
            evidence,
            tables=[table],
        )
    if abs(last - first) < limits.flat_change * scale:
        return warned(
            f"flat: the loss moved by {abs(last - first) / scale:.2%} over {run.steps} steps ({first:.4g} -> {last:.4g})",
            evidence,
            tables=[table],
        )
    if rises >= limits.max_rise * scale:
        return warned(
            f"oscillating: the loss kept climbing back, its rises add up to {rises / scale:.0%} of the starting "
            f"loss ({first:.4g} -> {last:.4g})",
            evidence,
            tables=[table],
        )
    return passed(f"the loss fell from {first:.4g} to {last:.4g} over {run.steps} steps", evidence)


@check(
    "ND505",
    "gradient-drift",
    "Gradient norms and update ratios stay in range during training",
    cost="train",
    thresholds={"explode_factor": 100.0, "min_update_ratio": 1e-7, "max_update_ratio": 0.5},
)
def gradient_drift(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """Per-layer gradient norms and update ratios that drift into exploding or vanishing.

    What it checks:
    At the sampled steps, per parameter tensor, the gradient norm and the update ratio (the norm
    of the step's change over the weight's norm). Exploding: the total gradient norm in the last
    quarter of the samples is `explode_factor` times the first quarter's, or a layer's median
    update ratio there exceeds `max_update_ratio`. Vanishing: every layer's median update ratio
    in the last quarter is below `min_update_ratio`.

    Why it matters:
    Pre-flight checks see the first steps; drift happens later. Gradients that grow by orders of
    magnitude precede divergence and NaNs; update ratios that fall to nothing mean the weights have
    stopped moving (an LR decayed to zero, a saturated network) while the script keeps running.

    Evidence:
    The samples, the total gradient norm early and late, and a per-layer table of gradient norm and
    update ratio early and late.

    How to fix:
    Exploding: lower the learning rate, add gradient clipping (`clip_grad_norm_`), normalization
    layers or warm-up. Vanishing: check the LR schedule (ND502), the activations (saturating
    sigmoid/tanh, dead ReLUs: ND506) and the initialization.
    """
    run = watched_run
    if run.nonfinite is not None:
        raise Skip("the run went NaN/Inf (ND503) first")
    samples = [s for s in run.samples if s.update_norms is not None]
    if len(samples) < 8 or not run.params:
        raise Skip(f"{len(samples)} sampled steps; the drift needs 8 or more")
    quarter = max(2, len(samples) // 4)
    early, late = samples[:quarter], samples[-quarter:]
    g_early = _median([_total(s.grad_norms) for s in early])
    g_late = _median([_total(s.grad_norms) for s in late])
    rows = []
    late_ratios: dict[str, float] = {}
    for i, name in enumerate(run.params):

        def ratio(s: object, i: int = i) -> float | None:
            upd, par = s.update_norms, s.param_norms  # type: ignore[attr-defined]
            if upd is None or i >= len(upd) or par[i] <= 0:
                return None
            return float(upd[i] / par[i])

        r_early = _median(_finite([ratio(s) for s in early]))
        r_late = _median(_finite([ratio(s) for s in late]))
        ge = _median(_finite([s.grad_norms[i] for s in early if i < len(s.grad_norms)]))
        gl = _median(_finite([s.grad_norms[i] for s in late if i < len(s.grad_norms)]))
        if math.isfinite(r_late):
            late_ratios[name] = r_late
        rows.append([name, _round(ge), _round(gl), _round(r_early), _round(r_late)])
    table = Table(
        "Per layer, early vs late samples",
        ["parameter", "grad norm early", "grad norm late", "update ratio early", "update ratio late"],
        rows,
    )
    evidence: dict[str, object] = {
        "samples": len(samples),
        "grad_norm_early": _round(g_early),
        "grad_norm_late": _round(g_late),
    }
    if g_early > 0 and g_late > limits.explode_factor * g_early:
        return warned(
            f"exploding: the total gradient norm grew {g_late / g_early:.3g}x, from {g_early:.3g} to {g_late:.3g}",
            evidence,
            tables=[table],
        )
    big = {n: r for n, r in late_ratios.items() if r > limits.max_update_ratio}
    if big:
        name, value = max(big.items(), key=lambda kv: kv[1])
        evidence["largest_update_ratio"] = {name: _round(value)}
        return warned(
            f"exploding: late in the run {name} changes by {value:.3g} of its norm per step", evidence, tables=[table]
        )
    if late_ratios and all(r < limits.min_update_ratio for r in late_ratios.values()):
        return warned(
            f"vanishing: late in the run every layer's update ratio is below {limits.min_update_ratio:g}: the "
            "weights have stopped moving",
            evidence,
            tables=[table],
        )
    return passed(f"gradient norm {g_early:.3g} early, {g_late:.3g} late; update ratios in range", evidence)


def _round(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    return float(f"{value:.4g}")


@check(
    "ND506",
    "units-die-in-training",
    "ReLU units stay alive during the real run",
    cost="train",
    thresholds={"max_died": 0.4},
    explains=["ND504"],
)
def units_die_in_training(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """ReLU units alive at the start of your run that are dead by its end.

    What it checks:
    At every sampled step, for every ReLU call in the model's training forward (module or
    function, named by its line in your code), the share of units that are zero for every sample
    of that batch. It compares the first sample with the lowest of the last three: the share
    that died during training.

    Why it matters:
    A ReLU unit whose input is negative for every sample outputs zero and receives zero gradient,
    so it never recovers. Large updates (a high learning rate, momentum overshoot) push many units
    there at once: the network keeps training with a fraction of its width and the loss plateaus.
    The pre-flight short run (ND406) sees the first few hundred steps; this sees the whole run.

    Evidence:
    Per ReLU call: its units, the dead share at the start and at the end.

    How to fix:
    Lower the learning rate (or add warm-up); use LeakyReLU, ELU or GELU, which keep a gradient
    below zero; Kaiming initialization with zero biases; a normalization layer before the
    activation keeps pre-activations centred.
    """
    run = watched_run
    if run.nonfinite is not None:
        raise Skip("the run went NaN/Inf (ND503): its activations mean nothing after that")
    with_dead = [s for s in run.samples if s.dead]
    if len(with_dead) < 4:
        raise Skip(
            "no ReLU outputs were measured at 4 or more sampled steps (the model has no ReLU, or the run is short)"
        )
    sites = list(dict.fromkeys(site for s in with_dead for site in s.dead))  # in order of first appearance
    rows, worst = [], (0.0, "")
    for site in sites:
        values = [s.dead[site] for s in with_dead if site in s.dead]
        if len(values) < 4:
            continue
        start, end = values[0], min(values[-3:])
        died = max(0.0, end - start)
        rows.append([site, round(start, 4), round(end, 4), round(died, 4)])
        if died > worst[0]:
            worst = (died, site)
    if not rows:
        raise Skip("no ReLU call was measured at 4 or more sampled steps")
    table = Table("Dead ReLU units", ["relu (your code)", "dead at start", "dead at end", "died"], rows)
    evidence = {"samples": len(with_dead), "relu_calls": len(rows), "most_died": round(worst[0], 4)}
    if worst[0] >= limits.max_died:
        return warned(
            f"{worst[0]:.0%} of the units after the ReLU at {worst[1]} died during training", evidence, tables=[table]
        )
    return passed(f"at most {worst[0]:.0%} of a ReLU's units died during the run", evidence, tables=[table])


@check(
    "ND507",
    "train-val-gap-over-epochs",
    "Validation loss follows the training loss over the epochs",
    cost="train",
    thresholds={"max_val_rise": 0.2, "min_epochs": 4, "gap_val_rise": 0.1, "max_gap_ratio": 2.0},
)
def train_val_gap_over_epochs(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """A validation loss that turns up while the training loss keeps falling (overfitting).

    What it checks:
    The validation passes your script runs (a loader iterated with no optimizer step after it,
    or eval-mode model calls without gradients on tensors) and their mean loss per epoch (a
    `reduction="sum"` loss divided by its element count), against the mean training loss of the
    same epoch. It warns when the last validation loss is `max_val_rise` above the best one,
    reached at least two epochs before the end, while the training loss kept falling; or, with
    the same shape, when it rose only `gap_val_rise` but ends `max_gap_ratio` times the training
    loss or more (a wide gap that keeps opening: too little training data for the model, a split
    whose fractions were swapped).

    Why it matters:
    A gap that opens over the epochs means the model memorizes the training set: every further
    epoch makes it worse on new data. The best weights were those of the best epoch; a script that
    keeps the last ones ships a worse model than it had.

    Evidence:
    Per epoch: training loss, validation loss, the gap; the best epoch and the rise since.

    How to fix:
    Stop at the best validation epoch (early stopping, or keep the best checkpoint); add
    regularization (weight decay, dropout, data augmentation), use more data or a smaller model;
    lower the number of epochs.
    """
    run = watched_run
    val = run.val_losses_per_epoch()
    if len(val) < limits.min_epochs:
        raise Skip(
            f"validation losses were seen in {len(val)} epoch(s); the trend needs {limits.min_epochs:g} "
            "(a validation pass through a loss module or function)"
        )
    train = run.epoch_losses()
    rows = []
    for epoch, v in val:
        t = train[epoch - 1] if epoch - 1 < len(train) else None
        rows.append([epoch, _round(t) if t is not None else None, _round(v), _round(v - t) if t is not None else None])
    table = Table("Per epoch", ["epoch", "train loss", "val loss", "gap"], rows)
    best_index = min(range(len(val)), key=lambda i: val[i][1])
    best_epoch, best = val[best_index]
    last_epoch, last = val[-1]
    rise = (last - best) / abs(best) if best else 0.0
    t_best = train[best_epoch - 1] if best_epoch - 1 < len(train) else None
    t_last = train[last_epoch - 1] if last_epoch - 1 < len(train) else None
    falling = t_best is not None and t_last is not None and t_last < t_best
    evidence = {
        "epochs": len(val),
        "best_val_epoch": best_epoch,
        "best_val_loss": _round(best),
        "last_val_loss": _round(last),
        "rise_since_best": round(rise, 4),
        "train_loss_kept_falling": falling,
    }
    turned = best_index <= len(val) - 3 and falling
    if rise >= limits.max_val_rise and turned:
        return warned(
            f"the validation loss rose {rise:.0%} since its best at epoch {best_epoch} ({best:.4g} -> {last:.4g}) "
            "while the training loss kept falling: the model overfits",
            evidence,
            tables=[table],
        )
    ratio = last / t_last if t_last is not None and t_last > 0 and last > 0 else None
    if ratio is not None:
        evidence["last_val_over_train"] = round(ratio, 3)
    if rise >= limits.gap_val_rise and turned and ratio is not None and ratio >= limits.max_gap_ratio:
        return warned(
            f"the validation loss rose {rise:.0%} since its best at epoch {best_epoch} ({best:.4g} -> {last:.4g}) "
            f"and ends {ratio:.1f}x the training loss ({t_last:.4g}), which kept falling: the gap keeps opening, "
            "the model overfits its training data",
            evidence,
            tables=[table],
        )
    return passed(
        f"validation loss {last:.4g} at the end, {rise:.0%} above its best (epoch {best_epoch})",
        evidence,
        tables=[table],
    )


@check(
    "ND508",
    "eval-in-train-mode",
    "Validation runs in eval mode without gradients",
    cost="train",
    thresholds={"max_eval_training_share": 0.5},
)
def eval_in_train_mode(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """Validation passes run with the model in training mode or with gradients enabled.

    What it checks:
    Every validation pass the script runs (batches from a loader that no optimizer step follows;
    eval-mode calls without gradients on tensors count for the trend, not for this check's modes):
    whether the model was called in training mode (`model.eval()` missing; read from its dropout
    and BatchNorm submodules, since assigning `model.training` changes only the outermost
    module) and whether gradients
    were enabled (`torch.no_grad()` / `torch.inference_mode()` missing). And the other way round:
    whether at least `max_eval_training_share` of the optimizer steps followed a training forward
    with the model in eval mode (`model.eval()` called once, `model.train()` never again); only
    the last forward before each step counts, so eval-mode forwards with gradients in between
    (adversarial examples) do not.

    Why it matters:
    In training mode dropout drops units and batch norm normalizes with the batch's statistics and
    updates its running averages from validation data: the validation numbers are noisy and wrong,
    and the model itself changes. With gradients enabled every forward keeps its activations for
    a backward that never comes: validation takes more memory and time than it needs. Training in
    eval mode is the mirror image: dropout is off and batch norm normalizes with running averages
    it never updates, so the model trains without the regularization and normalization it was
    built with.

    Evidence:
    The validation passes seen, how many ran in training mode and with gradients, the loader's
    creation site, whether the model has dropout or batch norm.

    How to fix:
    Wrap the validation loop in `model.eval()` and `with torch.no_grad():` (or
    `torch.inference_mode()`), and call `model.train()` again before the next training epoch.
    """
    run = watched_run
    judged = run.train_mode_steps + run.eval_mode_steps
    if run.mode_sensitive and judged:
        share = run.eval_mode_steps / judged
        if share >= limits.max_eval_training_share:
            return warned(
                f"{run.eval_mode_steps} of {judged} optimizer steps ({share:.0%}) trained on a forward with the model "
                "in eval mode: model.eval() was called and model.train() not again before training, so dropout was "
                "off and batch norm used its running statistics during training",
                {
                    "steps_judged": judged,
                    "steps_in_eval_mode": run.eval_mode_steps,
                    "eval_share": round(share, 4),
                    "model_has_dropout_or_batchnorm": True,
                    "validation_passes": len(run.val_passes),
                },
                fix="Call `model.train()` at the start of every training epoch (after each evaluation, which calls "
                "`model.eval()`).",
            )
    passes = run.val_passes
    if not passes:
        raise Skip("no validation pass was seen (no loader iterated without an optimizer step after it)")
    passes = [p for p in passes if p.model_calls]
    if not passes:
        raise Skip(
            "the validation passes did not call the trained model (another model was evaluated, e.g. an EMA "
            "copy), so its mode and gradients there are not followed"
        )
    passes = [p for p in passes if not p.without_loader] or passes
    in_train = [p for p in passes if p.training_calls]
    with_grad = [p for p in passes if p.grad_calls]
    evidence: dict[str, object] = {
        "validation_passes": len(passes),
        "in_training_mode": len(in_train),
        "with_gradients": len(with_grad),
        "model_has_dropout_or_batchnorm": run.mode_sensitive,
        "loader": passes[0].loader,
        "steps_in_eval_mode": run.eval_mode_steps,
    }
    problems = []
    if in_train and run.mode_sensitive:
        problems.append(
            f"{len(in_train)} of {len(passes)} ran with the model in training mode (model.eval() missing, or the mode set by assigning `model.training`, which leaves the submodules in training mode)"
        )
    if with_grad:
        problems.append(f"{len(with_grad)} of {len(passes)} ran with gradients enabled (torch.no_grad() missing)")
    if problems:
        return warned("validation passes: " + "; ".join(problems), evidence)
    note = " (in training mode, but the model has no dropout or batch norm)" if in_train else ""
    return passed(f"{len(passes)} validation pass(es) in eval mode without gradients{note}", evidence)


@check(
    "ND509",
    "data-order",
    "Training batches mix the classes",
    cost="train",
    thresholds={"min_mean_run": 10.0, "run_factor": 5.0, "min_single_class_labels": 100},
    explains=["ND504"],
)
def data_order(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """Training data that arrives sorted by class (long runs of the same label).

    What it checks:
    The labels of the first pass over the training loader, in the order the batches arrived:
    the mean length of a run of equal consecutive labels, against what shuffled data gives
    (about C/(C-1) for C classes). It warns when the mean run is at least `min_mean_run` and
    `run_factor` times the shuffled value. When every label of that pass (at least
    `min_single_class_labels` of them) is one class while the model outputs two or more, it warns
    too: the training data holds a single class (a per-class weight list given to a
    WeightedRandomSampler draws only the first few samples).

    Why it matters:
    A dataset stored class by class and loaded with `shuffle=False` feeds the model one class
    after another: each stretch of steps pulls the weights toward the class it sees, undoing the
    previous one; the loss zigzags and the model ends biased toward the last classes. Every
    epoch repeats it.

    Evidence:
    The labels read, the classes, the mean and longest run, the first labels.

    How to fix:
    Pass `shuffle=True` to the training DataLoader (or a `RandomSampler`), or shuffle the dataset
    once before training; keep `shuffle=False` for validation only.
    """
    runs = watched_run.label_runs
    if runs is None:
        raise Skip("the training batches carry no integer class labels as their second element")
    if runs.classes < 2:
        width = watched_run.output_classes
        if width is not None and width >= 2 and runs.labels >= limits.min_single_class_labels:
            only = runs.first[0] if runs.first else None
            return warned(
                f"every one of the first epoch's {runs.labels} training labels is class {only}, while the model "
                f"outputs {width} classes: the training batches hold a single class, so the model learns to "
                "predict it always",
                {"labels": runs.labels, "classes": 1, "output_classes": width, "first_labels": runs.first},
                fix="Check the sampler and any filtering of the training set: a WeightedRandomSampler takes one "
                "weight per sample (not per class: index the class weights by each sample's label), and a "
                "subset or split must keep every class.",
            )
        raise Skip(f"the first pass saw {runs.classes} class; its order cannot be judged")
    shuffled = runs.classes / (runs.classes - 1)
    evidence = {
        "labels": runs.labels,
        "classes": runs.classes,
        "mean_run": round(runs.mean_run, 3),
        "shuffled_mean_run": round(shuffled, 3),
        "longest_run": runs.longest_run,
        "first_labels": runs.first,
    }
    if runs.mean_run >= limits.min_mean_run and runs.mean_run >= limits.run_factor * shuffled:
        return warned(
            f"the first epoch's labels come in runs of {runs.mean_run:.1f} on average (longest {runs.longest_run}; "
            f"shuffled data gives {shuffled:.2f}): the data is ordered by class",
            evidence,
        )
    return passed(f"labels arrive mixed: mean run {runs.mean_run:.2f} (shuffled: {shuffled:.2f})", evidence)


@check(
    "ND510",
    "same-batch-every-step",
    "Each step trains on new data",
    cost="train",
    thresholds={"max_stale_share": 0.9},
    explains=["ND507"],
)
def same_batch_every_step(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """One batch, fetched once, reused for every optimizer step.

    What it checks:
    Whether a training batch was fetched from a DataLoader before each optimizer step, and a
    checksum of the batch the model trained on at the sampled steps. It warns when the checksum
    never changes and no new batch was fetched before at least `max_stale_share` of the steps, or
    when a batch was fetched before every step from a loader of several batches an epoch and the
    model's input still never changed (it is fed a tensor from before the loop). The same input
    fetched anew from a loader of one batch is full-batch training and passes.

    Why it matters:
    `batch = next(iter(loader))` outside the loop (a debugging line left in) trains on the same
    few samples for the whole run: the training loss goes to zero while the model learns nothing
    general, and the validation loss rises. It looks like fast convergence.

    Evidence:
    The steps, the steps with no new batch, the sampled checksums that differed.

    How to fix:
    Iterate the loader inside the epoch loop (`for x, y in loader:`), so that every step gets the
    next batch; remove a `next(iter(loader))` taken once before the loop.
    """
    run = watched_run
    prints = [s.fingerprint for s in run.samples if s.fingerprint is not None]
    if run.steps < 5 or len(prints) < 3:
        raise Skip("fewer than 3 sampled training batches; run longer or sample more often (--every)")
    distinct = len(set(prints))
    stale = sum(1 for b in run.batches[1:] if b == 0)
    fetched = sum(run.batches)
    evidence = {
        "steps": run.steps,
        "steps_without_new_batch": stale,
        "batches_fetched": fetched,
        "sampled_batches": len(prints),
        "distinct_sampled_batches": distinct,
    }
    if distinct == 1 and fetched > 0 and stale >= limits.max_stale_share * (run.steps - 1):
        return warned(
            f"the model trained on the same batch at all {len(prints)} sampled steps; no batch was fetched before "
            f"{stale} of {run.steps - 1} steps after the first",
            evidence,
        )
    length = run.train_loader_length
    if length is not None:
        evidence["train_loader_batches"] = length
    if distinct == 1 and fetched > 0 and length is not None and length > 1 and stale == 0:
        # a new batch before every step from a loader of several batches, and yet the same input:
        # the model is fed a tensor from before the loop, not the batch the loop variable holds
        return warned(
            f"a batch was fetched from the training loader ({length} batches an epoch) before every step, but the "
            f"model got the same input at all {len(prints)} sampled steps: the loop feeds it something other than the "
            "batch it fetched",
            evidence,
            fix="Feed the model the batch of this iteration (`for x, y in loader: model(x)`): look for a variable "
            "from before the loop, or a loop variable renamed in one place only.",
        )
    if distinct == 1:
        return passed("the same inputs at every sampled step, fetched anew each step (full-batch training)", evidence)
    return passed(f"{distinct} different batches at {len(prints)} sampled steps", evidence)


@check(
    "ND511",
    "accumulation-not-averaged",
    "Accumulated gradients are averaged over the micro-batches",
    cost="train",
    thresholds={"min_unscaled_share": 0.9},
    explains=["ND504", "ND505"],
)
def accumulation_not_averaged(watched_run: WatchedRun, limits: Thresholds) -> Verdict:
    """Gradient accumulation that sums the micro-batch losses instead of averaging them.

    What it checks:
    Steps with several backward passes (gradient accumulation): whether the tensor each backward
    ran on was the loss itself (the loss module's output, or a loss function's result) or a
    scaled copy (`loss / accum_steps`). It warns when at least `min_unscaled_share` of the
    accumulation steps backpropagated the unscaled loss.

    Why it matters:
    Accumulating k micro-batches without dividing the loss by k makes the gradient k times the
    mean: the effective learning rate is k times the one you tuned. With SGD that overshoots (the
    loss jumps back up or diverges); with Adam it is mostly hidden. It is a frequent bug when a
    loop is converted to accumulation.

    Evidence:
    The accumulation steps, backward passes per step, how many used the loss unscaled or scaled.

    How to fix:
    Divide each micro-batch loss by the number of micro-batches in the group before backward:
    `(loss / accum_steps).backward()` (a short last group by its own size), or scale the learning
    rate down by the same factor.
    """
    run = watched_run
    if run.accumulation_steps < 3:
        raise Skip(f"{run.accumulation_steps} step(s) with several backward passes: no gradient accumulation")
    per_step = _median([float(b) for b in run.backwards if b > 1])
    evidence = {
        "accumulation_steps": run.accumulation_steps,
        "backward_per_step": per_step,
        "unscaled_steps": run.accumulation_unscaled,
        "scaled_steps": run.accumulation_scaled,
    }
    share = run.accumulation_unscaled / run.accumulation_steps
    if share >= limits.min_unscaled_share:
        return warned(
            f"{run.accumulation_unscaled} of {run.accumulation_steps} accumulation steps summed {per_step:g} "
            f"unscaled losses: the gradient is {per_step:g}x the mean, and so is the effective LR",
            evidence,
        )
    return passed(
        f"{run.accumulation_scaled} of {run.accumulation_steps} accumulation steps backpropagated a scaled loss",
        evidence,
    )
