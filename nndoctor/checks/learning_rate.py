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
    thresholds={"too_low_factor": 100.0, "diverge_margin": 1.0},
)
def learning_rate_range(lr_range: LRRange, limits: Thresholds) -> Verdict:
    """The user's learning rate against the loss-vs-lr curve of a range test.

    What it checks:
    Runs the LR range test (train from the initial weights while raising the learning rate of
    every param group by the same factor, from 1e-7 to 10 by default) and reads the curve: where
    the loss starts to fall, where its trend bottoms out, where it blows up, and nndoctor's
    suggested learning rate with a recommended range. The learning rate the optimizer is
    configured with (its first param group) is then compared with that reading: a warning when
    it is at or above the learning rate where the loss diverges (times `diverge_margin`), or more
    than `too_low_factor` times below the suggestion (100x by default: in the benchmark's
    fixed-budget runs that is where the loss barely moves, while 10-30x below the best still
    trains, only slower); a failure when the loss is NaN or infinite from the very first step, at
    the smallest learning rate of the sweep.

    Why it matters:
    The learning rate is the hyperparameter that matters most. Too high and the loss oscillates,
    blows up or turns NaN; too low and the loss barely moves, so the training budget is spent
    crawling. The best value depends on the model, the data, the batch size and the optimizer,
    so it is measured rather than guessed: the range test finds the region in a hundred steps.

    Evidence:
    The configured lr, the suggested lr and recommended range, the divergence lr, the lr at the
    lowest loss, the rule that produced the suggestion and the sweep's settings; the curve itself
    is in the report's artifacts (`lr_curve`).

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
    evidence = {
        "configured_lr": configured,
        "suggested_lr": s.lr,
        "range_low": s.low,
        "range_high": s.high,
        "divergence_lr": s.divergence_lr,
        "min_loss_lr": s.min_loss_lr,
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
    diverge_at = s.divergence_lr * limits.diverge_margin if s.divergence_lr is not None else None
    if configured is not None and diverge_at is not None and configured >= diverge_at:
        advice = (
            f"Lower the learning rate to about {s.lr:.2g} (range {s.low:.2g} to {s.high:.2g})."
            if s.lr is not None
            else f"Lower the learning rate well below {s.divergence_lr:.2g}."
        )
        return warned(
            f"{config} is at or above where the loss diverges in the range test ({_fmt(s.divergence_lr)})"
            + (f"; suggested {s.lr:.2g}" if s.lr is not None else ""),
            evidence,
            fix=advice + " Confirm with `nndoctor lr-find`.",
        )
    if s.lr is None:
        raise Skip(f"the range test gives no suggestion: {s.reason}{note}")
    if not s.confident:
        raise Skip(f"the range test is inconclusive (suggests {s.lr:.2g}, {s.reason}){note}")
    if configured is not None and configured > 0 and configured * limits.too_low_factor < s.lr:
        return warned(
            f"{config} is {s.lr / configured:.0f}x below the suggested {s.lr:.2g} (range {s.low:.2g} to {s.high:.2g}): the loss will barely move",
            evidence,
            fix=f"Raise the learning rate to about {s.lr:.2g} and confirm with `nndoctor lr-find`.",
        )
    where = ""
    if configured is not None and s.low is not None and s.high is not None:
        if configured < s.low:
            where = f", below the recommended range ({s.lr / configured:.1f}x under the suggestion)"
        elif configured > s.high:
            where = ", above the recommended range but below divergence"
        else:
            where = ", inside the recommended range"
    low_high = f"range {s.low:.2g} to {s.high:.2g}" if s.low is not None and s.high is not None else "no range"
    message = f"{config}{where}; range test suggests {s.lr:.2g} ({low_high}, loss diverges at {_fmt(s.divergence_lr)})"
    if configured is None or not math.isfinite(configured):
        message = f"range test suggests {s.lr:.2g} ({low_high})"
    return passed(message + note, evidence)
