"""ND403: the configured learning rate against the measured LR range test."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.lr_range import LRRange


def _fmt(lr: float | None) -> str:
    return "-" if lr is None else f"{lr:.2g}"


@check(
    "ND403",
    "learning-rate-out-of-range",
    "The configured learning rate lies in the range the LR range test recommends",
    cost="train",
    thresholds={"outside_factor": 10.0, "above_factor": 5.0, "diverge_margin": 1.0, "extreme_factor": 100.0},
    confirmed_by=("ND402", "ND404", "ND406", "ND303"),
    stands_alone=True,
)
def learning_rate_range(lr_range: LRRange, limits: Thresholds) -> Verdict:
    """The user's learning rate against a learning-rate range test and short confirmation runs.

    What it checks:
    Runs the LR range test: from the initial weights, train while raising the learning rate of
    every param group by the same factor (ratios between groups are kept), 1e-7 to 10 over 100
    steps by default, each step on a fresh batch of the training loader (as training would see
    it; the loader is iterated again only when the steps exceed an epoch). The curve is read
    through a lag-free trend of log(loss) (where it is halfway down, where it turns back up and
    where it is back above its start, each corrected for the few steps the loss lags the lr).
    That reading is then confirmed: 3 short runs (60 steps each) at constant learning rates half
    a decade apart, centred on it, all on the same training batches and scored on the same
    held-out batches (the validation loader's when there is one, else training batches the sweep
    never trains on). The winner is the lowest of those learning rates whose held-out loss is
    within 5% of the best, and the suggestion is the geometric mean of the winner and the curve's
    reading (a short run favours larger learning rates than a full budget); the recommended range is 0.3 decades below to 0.2 above it, kept a
    factor 2 below where the loss blows up. The whole test costs about 3x a plain range test
    (280 training steps instead of 100, plus the held-out evaluations).

    The reading is not trusted (no verdict, "not confident: why") when the curve's descent is
    within 4x the noise of its own trend (batch-to-batch noise dominates), when the loss falls
    little and never blows up, or when every confirmation run diverges. Otherwise the configured
    learning rate (first param group) is compared with it: a warning when it is at or above
    where the loss diverges (times `diverge_margin`), more than `outside_factor` (10x) below the
    recommended range's low end, or more than `above_factor` (5x) above its high end (a rate
    above the range does the harm sooner: unstable steps, units that die), with the direction and
    the factor; within those factors it passes. A failure when the loss is NaN or infinite from the very first
    step, at the smallest learning rate of the sweep. The range test is a reading of how the loss
    reacts to a rising learning rate, not a run at yours: its warning stands only when training
    at the configured rate shows the consequence (the short run is flat, slow, oscillating or
    diverging, the tiny subset cannot be fit, or units die: ND404, ND402, ND406), when one step
    at your rate rewrites the weights (ND303 standing on its own: an update larger than the
    weights themselves, a reading a short run can miss when it survives the first steps), when
    the rate is more than `extreme_factor` (100x) off the range, or when none of those ran
    (`nndoctor lr-find`); when they ran and training at your rate went fine, it is a note on a pass.

    Measured on the oracle benchmark (benchmarks/lr_oracle2/RESULTS.md: fixed-budget training at
    16 learning rates x 3 seeds per task, "good" = within 2 accuracy points or 10% of the best
    validation loss), training at the suggestion is good on 12 of 13 held-out tasks and 15 of 18
    tuning tasks; 32 of 39 and 47 of 54 single calls land in their seed's good set.

    Why it matters:
    The learning rate is the hyperparameter that matters most. Too high and the loss oscillates,
    blows up or turns NaN; too low and the loss barely moves, so the training budget is spent
    crawling. The best value depends on the model, the data, the batch size and the optimizer,
    so it is measured rather than guessed: the range test finds the region in a few hundred steps.

    Evidence:
    The configured lr, the suggested lr and recommended range, the divergence lr, the lr at the
    lowest loss, the curve's own reading, the confirmation runs (lr, held-out loss), the noise of
    the curve, the rule and the sweep's settings; the curve itself is in the report's artifacts
    (`lr_curve`). `nndoctor.lr_find()` returns the same as a typed result.

    How to fix:
    Set the learning rate near the suggested value (any value in the recommended range trains
    about as well), then confirm with `nndoctor lr-find` and its plot. A loss that is NaN from
    the first step is not a learning-rate problem: look for NaN inputs (ND102) or the layer that
    produces them (ND204).
    """
    if lr_range.status == "no_lr":
        raise Skip(lr_range.message)
    settings = {"start": lr_range.start, "end": lr_range.end, "steps": lr_range.steps, "mode": lr_range.mode}
    if lr_range.status == "nonfinite_at_start":
        return failed(
            f"in the LR range test {lr_range.message}: the loss is not finite from the first step, even at the smallest learning rate, so no learning rate can train this setup",
            {"configured_lr": lr_range.configured_lr, **settings},
            fix="Find where the NaN/Inf comes from before tuning the learning rate: NaN inputs or targets (ND102) or a layer that produces it (ND204).",
        )
    s = lr_range.suggestion
    if s is None:
        raise Skip(f"the range test recorded no loss before it stopped ({lr_range.stop_reason})")
    configured = lr_range.configured_lr
    curve = lr_range.curve_suggestion
    evidence = {
        "configured_lr": configured,
        "suggested_lr": s.lr,
        "range_low": s.low,
        "range_high": s.high,
        "divergence_lr": s.divergence_lr,
        "min_loss_lr": s.min_loss_lr,
        "curve_lr": curve.lr if curve is not None else None,
        "confirmations": [c.to_dict() for c in lr_range.confirmations],
        "noise": s.noise,
        "confident": s.confident,
        "method": s.method,
        "optimizer": lr_range.optimizer,
        "stop_reason": lr_range.stop_reason,
        **settings,
    }
    config = f"{lr_range.optimizer} lr {_fmt(configured)}"
    note = ""
    if lr_range.stop_reason == "budget" and lr_range.lrs:
        note = f" (the sweep stopped on its time budget at lr {lr_range.lrs[-1]:.2g}; raise probes.lr_range.seconds)"
        evidence["note"] = note.strip(" ()")
    if s.lr is None:
        raise Skip(f"the range test gives no suggestion: {s.reason}{note}")
    if not s.confident:
        raise Skip(
            f"the range test is not confident, so the configured lr is not judged (it suggests {s.lr:.2g}; {s.reason}){note}"
        )
    assert s.low is not None and s.high is not None
    rng = f"{s.low:.2g}..{s.high:.2g}"
    factor = limits.outside_factor
    diverge_at = s.divergence_lr * limits.diverge_margin if s.divergence_lr is not None else None
    if configured is None or not math.isfinite(configured) or configured <= 0:
        return passed(f"range test suggests {s.lr:.2g} (range {rng}){note}", evidence)
    if diverge_at is not None and configured >= diverge_at:
        evidence["direction"] = "above"
        return warned(
            f"{config} is at or above where the loss diverges in the range test ({_fmt(s.divergence_lr)}); "
            f"the configured lr {configured:.2g} is {configured / s.high:.0f}x above the suggested range {rng}",
            evidence,
            fix=f"Lower the learning rate to about {s.lr:.2g} (range {rng}). Confirm with `nndoctor lr-find`.",
            extreme=configured >= limits.extreme_factor * s.high,
        )
    if configured * factor < s.low:
        evidence["direction"], evidence["factor"] = "below", s.low / configured
        return warned(
            f"the configured lr {configured:.2g} ({lr_range.optimizer}) is {s.low / configured:.0f}x below the suggested "
            f"range {rng} (suggested {s.lr:.2g}): the loss will move slowly",
            evidence,
            fix=f"Raise the learning rate to about {s.lr:.2g} and confirm with `nndoctor lr-find`.",
            extreme=configured * limits.extreme_factor <= s.low,
        )
    if configured > limits.above_factor * s.high:
        evidence["direction"], evidence["factor"] = "above", configured / s.high
        return warned(
            f"the configured lr {configured:.2g} ({lr_range.optimizer}) is {configured / s.high:.0f}x above the suggested "
            f"range {rng} (suggested {s.lr:.2g}): training is likely unstable",
            evidence,
            fix=f"Lower the learning rate to about {s.lr:.2g} and confirm with `nndoctor lr-find`.",
            extreme=configured >= limits.extreme_factor * s.high,
        )
    if s.low <= configured <= s.high:
        where = f"inside the recommended range {rng}"
    else:
        off = s.low / configured if configured < s.low else configured / s.high
        evidence["factor"] = off
        bound = factor if configured < s.low else limits.above_factor
        where = f"within {bound:g}x of the recommended range {rng} ({off:.1f}x off it)"
    div = f", loss diverges at {_fmt(s.divergence_lr)}" if s.divergence_lr is not None else ""
    return passed(f"{config} is {where}; range test suggests {s.lr:.2g}{div}{note}", evidence)
