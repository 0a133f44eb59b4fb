"""ND4xx: training dynamics, measured by actually training a private copy for a few steps."""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Table, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.data import DataStats
    from nndoctor.probes.training import EvalPoint, OverfitRun, RegularizationStats, ShortRun
    from nndoctor.setup import Setup


def _g(value: float | None) -> float | str | None:
    """A number rounded to 4 significant digits for evidence (non-finite values as strings)."""
    if value is None:
        return None
    return float(f"{value:.4g}") if math.isfinite(value) else str(value)


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%" if abs(value) >= 0.01 else f"{100 * value:.2g}%"


def _metric_text(metric: str | None, value: float | None) -> str:
    if value is None or metric is None:
        return "n/a"
    return _pct(value) if metric == "accuracy" else f"R^2 {value:.3f}"


def _role(name: str) -> str:
    """A module's place in its block, whatever the block's index: `blocks.3.drop (Dropout)` and
    `blocks.7.drop (Dropout)` are the same role."""
    path = name.split(" (", 1)[0]
    return ".".join("*" if part.isdigit() else part for part in path.split("."))


# -- ND401 ---------------------------------------------------------------------------------
@check(
    "ND401",
    "regularization-no-effect",
    "Adding regularization raises the loss, by a sensible amount",
    cost="forward",
    thresholds={
        "min_dropout_change": 1e-6,
        "max_penalty_share": 1.0,
        "extreme_penalty_share": 2.0,
        "extreme_weight_decay": 0.1,
        "max_dropout_p": 0.85,
    },
    explains=("ND402", "ND404", "ND405"),
    confirmed_by=("ND404", "ND405"),
)
def regularization_effect(regularization: RegularizationStats, limits: Thresholds) -> Verdict:
    """Regularization must show up in the loss: not absent, not overwhelming.

    What it checks:
    On the same training batches and initial weights: the loss with an L2 penalty added (the one
    the optimizer's weight_decay amounts to, or a small reference one) against the plain loss;
    for each dropout module, whether switching it on alone changes the model's output at all,
    and the loss with all dropout on against all off; and how large the optimizer's (coupled)
    weight-decay term is compared with the data loss.

    Why it matters:
    The classic babysitting step: add regularization and the loss must go up. A declared
    dropout layer whose activation changes nothing is not in the computation (its result is
    thrown away, or it sits on a branch that is never used), so the model trains without the
    regularization its author relies on. BatchNorm makes train() and eval() outputs differ
    anyway, which hides such a layer from a plain train/eval comparison; switching the dropout
    modules one at a time does not. A module unused in some blocks while the same module of
    sibling blocks acts (a library's stochastic depth, skipped where a block has no residual) is
    unused by design and only noted. A dropout whose p is `max_dropout_p` or more keeps 15% of its
    inputs or fewer: almost always a keep probability passed as the drop probability (0.8 is not
    flagged: transformers' MobileNetV2 uses it for its classifier by default). At the
    other end, a weight-decay term larger than the data
    loss at the start (e.g. weight_decay=0.5 instead of 5e-4) makes the optimizer shrink weights
    instead of fitting the data, and the model underfits.

    Evidence:
    Plain and penalized loss, the penalty's share of the loss, the weight decay and whether it is
    decoupled (AdamW), the loss with dropout on, and a per-module table of how much each dropout
    layer changes the output.

    How to fix:
    Use the result of every dropout call (`h = self.dropout(h)`), or remove layers that are not
    meant to be used; keep weight decay small (about 1e-5 to 1e-3 for SGD/Adam; AdamW tolerates
    about 1e-2) so that the penalty is a small fraction of the loss.

    The weight-decay share counts the weight matrices and kernels outside normalization layers
    (norm scales and biases are decayed too but cost little). Wide networks with the classic 5e-4
    start with a sizeable share and train well, so a share above `max_penalty_share` warns only
    when the short run shows the consequence (a flat loss, underfitting), and on its own above
    `extreme_penalty_share`. A penalty below the loss's floating-point resolution cannot be judged
    (skip).
    """
    r = regularization
    if not math.isfinite(r.data_loss):
        raise Skip(f"the loss at init is not finite ({r.data_loss}); ND204 localizes the NaN/Inf")
    evidence: dict[str, object] = {
        "data_loss": _g(r.data_loss),
        "penalized_loss": _g(r.penalized_loss),
        "penalty": _g(r.penalty),
        "penalty_share": _g(r.penalty / abs(r.data_loss)) if r.data_loss else None,
        "l2_lambda": r.l2_lambda,
        "l2_source": r.l2_source,
        "weight_decay": r.weight_decay,
        "decoupled_weight_decay": r.decoupled,
        "dropout_modules": len(r.dropout),
        "dropout_loss": _g(r.dropout_loss),
        "batches": r.batches,
    }
    tables = []
    if r.dropout:
        tables.append(
            Table(
                "output change with one dropout module on",
                ["module", "kind", "p", "relative change"],
                [[d.name, d.kind, d.p, _g(d.output_change)] for d in r.dropout],
            )
        )
    unused = [d for d in r.dropout if math.isfinite(d.output_change) and d.output_change < limits.min_dropout_change]
    acting_roles = {_role(d.name) for d in r.dropout if d not in unused}
    # a library that builds the module in every block and uses it only where it applies
    # (EfficientNet's stochastic depth, skipped in blocks without a residual) leaves some unused
    # by design; a discarded result is a line of code, so it leaves every sibling unused
    by_design = [d for d in unused if _role(d.name) in acting_roles]
    # one an installed library builds and does not use in this configuration (DeBERTa-v2's
    # pos_dropout without relative position buckets): nothing in the user's code to change
    in_library = [d for d in unused if d not in by_design and d.library]
    dead = [d for d in unused if d not in by_design and d not in in_library]
    if by_design:
        evidence["unused_where_siblings_act"] = [d.name for d in by_design]
    if in_library:
        evidence["unused_inside_a_library_module"] = [d.name for d in in_library]
    share = r.matrix_penalty / abs(r.data_loss) if r.data_loss else 0.0
    evidence["matrix_penalty_share"] = _g(share)
    if dead:
        names = ", ".join(d.name for d in dead[:4])
        verdict = warned(
            f"{len(dead)} of {len(r.dropout)} dropout module(s) change nothing when switched on ({names}): "
            "their output is not used, so the model trains without that regularization",
            evidence,
            fix="Assign the dropout's result (`h = self.dropout(h)`) where the layer is meant to act, or delete "
            "the unused module.",
            extreme=True,  # a measured fact, not a rule of thumb: it needs no confirmation
        )
    elif heavy := [d for d in r.dropout if d.p >= limits.max_dropout_p]:
        worst = max(heavy, key=lambda d: d.p)
        verdict = warned(
            f"{len(heavy)} dropout module(s) drop {limits.max_dropout_p:.0%} or more of their inputs ({worst.name}, p={worst.p:g}): "
            f"PyTorch's p is the probability of dropping a unit, so only {1 - worst.p:.0%} get through; a keep "
            "probability (TensorFlow 1's keep_prob, the original paper's p) passed as p",
            evidence,
            fix=f"Use p = 1 - keep probability (e.g. nn.Dropout({1 - worst.p:.2g}) for a keep probability of "
            f"{worst.p:g}); hidden layers usually use 0.1-0.5.",
            extreme=True,  # past any usual value: no experiment needed to call it
        )
    elif not r.penalty > 0 and r.l2_norm_sq > 0:
        # a penalty below the loss's floating-point resolution says nothing about the setup
        raise Skip(
            f"cannot judge: the L2 penalty (lambda {r.l2_lambda:g}, {r.l2_norm_sq * r.l2_lambda / 2:.3g}) is below the "
            f"floating-point resolution of the loss ({r.data_loss:.4g})"
        )
    elif not r.penalty > 0:
        verdict = warned(
            f"adding an L2 penalty (lambda {r.l2_lambda:g}) did not raise the loss ({r.data_loss:.4g}): all weights "
            "are zero (see ND202)",
            evidence,
            fix="Initialize the weights randomly (see ND202).",
        )
    elif r.l2_source == "optimizer weight_decay" and not r.decoupled and r.weight_decay >= limits.extreme_weight_decay:
        # an L2 coefficient of 0.1 or more pulls every weight towards zero faster than most data
        # gradients push it out, whatever the weights' size at init (small ones grow into it)
        verdict = warned(
            f"weight_decay {r.weight_decay:g} on {r.optimizer_name} is an L2 term about "
            f"{r.weight_decay / 5e-4:.0f}x the usual 5e-4: it pulls every weight towards zero and the model will "
            "underfit",
            evidence,
            fix="Use weight_decay around 1e-5 to 1e-3 with SGD/Adam (AdamW's decoupled decay tolerates about 1e-2).",
            extreme=True,
        )
    elif r.l2_source == "optimizer weight_decay" and not r.decoupled and share > limits.max_penalty_share:
        verdict = warned(
            f"the weight-decay term on the weight matrices (weight_decay {r.weight_decay:g}) adds "
            f"{r.matrix_penalty:.3g} to a data loss of {r.data_loss:.3g} at init ({share:.1f}x): regularization "
            "dominates and the model will underfit",
            evidence,
            fix=f"Lower weight_decay by about {math.ceil(share / 0.01):d}x (typical values are 1e-5 to 1e-3), "
            "or use AdamW, whose decoupled decay does not compete with the data loss.",
            extreme=share > limits.extreme_penalty_share,
        )
    else:
        parts = [
            f"an L2 penalty (lambda {r.l2_lambda:g}, {r.l2_source}) adds {r.penalty:.3g} to the loss "
            f"({r.data_loss:.4g} -> {r.penalized_loss:.4g})"
        ]
        if by_design and r.dropout_loss is not None:
            parts.append(
                f"{len(r.dropout) - len(by_design)} of {len(r.dropout)} dropout module(s) act on the output (loss "
                f"with dropout on {r.dropout_loss:.4g}); {len(by_design)} unused in blocks where the same module "
                f"of sibling blocks acts, as libraries do where a block cannot drop (first {by_design[0].name})"
            )
        elif r.dropout and r.dropout_loss is not None and not in_library:
            parts.append(
                f"all {len(r.dropout)} dropout module(s) act on the output (loss with dropout on {r.dropout_loss:.4g})"
            )
        elif not r.dropout:
            parts.append("no dropout modules")
        if in_library:
            parts.append(
                f"{len(in_library)} dropout module(s) built inside an installed library's module are unused in this "
                f"configuration (first {in_library[0].name}): the library's design, not the script's"
            )
        verdict = passed("; ".join(parts), evidence)
    verdict.tables.extend(tables)
    return verdict


# -- ND402 ---------------------------------------------------------------------------------
@check(
    "ND402",
    "cannot-overfit-small-batch",
    "Training can drive a tiny subset to zero error",
    cost="train",
    thresholds={
        "near_accuracy": 0.8,
        "near_r2": 0.8,
        "labels_ignored_loss_ratio": 0.3,
        "labels_ignored_skill": 0.5,
        "stuck_loss_ratio": 0.9,
        "near_zero_loss_ratio": 0.05,
        "max_target_rms": 10.0,
        "still_falling": 0.1,
        "still_falling_level": 0.035,
        "below_chance_skill": -0.3,
        "moved_away": 0.1,
        "unbounded_fall": 100.0,
    },
    explains=("ND404", "ND405"),
)
def overfit_small_batch(overfit_tiny: OverfitRun, data_stats: DataStats, limits: Thresholds) -> Verdict:
    """A network that cannot memorize 20 samples will not learn the full data set.

    What it checks:
    About 20 training samples as one batch, trained for a step budget with the user's optimizer,
    weight decay set to 0 and dropout switched off: the training accuracy must reach 100%, or the
    loss must fall to near zero with accuracy above 90% (for regression, R^2 near 1; for other
    tasks, the loss must approach zero). The goal is judged against what the model can memorize:
    a model with fewer trainable parameters than target values in the subset (a linear regression,
    a logistic regression on few features) is not expected to fit it exactly, only to move the
    loss; whether it then underfits the task is ND405's verdict. A model that comes close to the
    goal (accuracy 80%, R^2 0.8) passes with a note, whether it is still improving or has leveled
    off; only a stall far from the goal is a failure. A loss still descending when the budget ends
    (its last quarter brings `still_falling` of its whole fall, or `still_falling_level` of its own
    level: a low learning rate after a fast first drop) is slow, not stalled, and passes. For a
    custom loss with integer targets the accuracy is only a guess: the loss is evaluated once more
    with the labels swapped among the samples, and a loss that changes (it uses the labels) while
    argmax accuracy does not follow it (a triplet or contrastive loss on embeddings) is judged on
    the loss alone; one that does not change ignores its labels. A negative loss (a Poisson or
    Gaussian NLL without its constant term: its minimum is not 0) passes when the metric shows the
    fit and is otherwise skipped, since its fall cannot be judged against its start; one that keeps
    falling past `unbounded_fall` times its starting size has no minimum and fails. A loss that falls
    while the accuracy ends below always guessing the majority class (skill under
    `below_chance_skill`), having fallen by `moved_away` or more from its start, rewards the wrong
    answer and fails. A custom loss on float targets that
    falls below `near_zero_loss_ratio` of its start passes whatever R^2 of the raw output says.

    Why it matters:
    Any reasonable network has far more parameters than 20 samples need, so it must be able to
    fit them exactly. When it cannot, something is wrong before any hyperparameter matters:
    the model is too small or its layers are frozen, the learning rate is far off, the loss does
    not compare the outputs with the right labels, or the inputs and labels do not belong
    together. The pattern of the failure points to which.

    Evidence:
    Samples and steps used, loss at the start and end, accuracy or R^2 at the start, the end and
    the best seen, the step the goal was reached, and what regularization was removed.

    How to fix:
    Follow the diagnosis in the message: a loss that barely moves means a learning rate far too
    low, frozen parameters or a loss detached from the model; a loss that falls while accuracy
    does not means the loss does not use the labels (or the labels do not match the inputs); a
    loss that stalls halfway means too little capacity or a learning rate that is off.
    """
    o = overfit_tiny
    metric_label = {"accuracy": "accuracy", "r2": "R^2"}.get(o.metric or "", "loss")
    evidence: dict[str, object] = {
        "samples": o.samples,
        "steps": o.steps_run,
        "step_budget": o.steps_planned,
        "stop_reason": o.stop_reason,
        "initial_loss": _g(o.initial_loss),
        "final_loss": _g(o.final_loss),
        "best_loss": _g(o.best_loss),
        "metric": o.metric,
        "initial_metric": _g(o.initial_metric),
        "final_metric": _g(o.final_metric),
        "best_metric": _g(o.best_metric),
        "goal": o.goal,
        "goal_step": o.goal_step,
        "weight_decay_removed": o.weight_decay_removed,
        "dropout_disabled": o.dropout_disabled,
        "optimizer": o.optimizer,
        "lr": o.lr,
    }
    lr = f"{o.optimizer} lr {o.lr:g}" if o.lr is not None else o.optimizer
    if o.goal_step is not None:
        return passed(
            f"reached {_metric_text(o.metric, o.best_metric)} {'accuracy ' if o.metric == 'accuracy' else ''}on "
            f"{o.samples} samples at step "
            f"{o.goal_step} (loss {o.initial_loss:.4g} -> {o.final_loss:.4g})",
            evidence,
        )
    if not o.trainable:
        return failed(
            "the loss does not require grad, so no step can change it: the loss is detached from the model",
            evidence,
            fix="Look for .detach(), .item(), torch.no_grad() or a re-created tensor between the model output and the "
            "loss.",
        )
    if o.stop_reason == "nonfinite" and not math.isfinite(o.initial_loss):
        return failed(
            f"the loss on the {o.samples} samples is NaN/Inf before any update: the data or the forward pass "
            "produce it, so nothing can be fitted",
            evidence,
            fix="Find where the first NaN/Inf appears (ND204 names the module, ND102 checks the data) and fix that first.",
        )
    if o.stop_reason == "nonfinite":
        return failed(
            f"while overfitting {o.samples} samples the loss became NaN/Inf within {o.steps_run} steps ({lr})",
            evidence,
            fix="Lower the learning rate (try 10x smaller, then `nndoctor lr-find`) and look for numerically unsafe "
            "ops (log/sqrt/division of values that can reach 0).",
        )
    ratio = o.final_loss / o.initial_loss if o.initial_loss and math.isfinite(o.final_loss) else math.nan
    best_ratio = o.best_loss / o.initial_loss if o.initial_loss and math.isfinite(o.best_loss) else math.nan
    evidence["loss_ratio"] = _g(ratio)
    progress = (
        f"after {o.steps_run} steps ({lr}) the loss went {o.initial_loss:.4g} -> {o.final_loss:.4g}"
        + (f" ({_pct(ratio)} of its start)" if math.isfinite(ratio) else "")
        + (
            f" and {metric_label} reached at best {_metric_text(o.metric, o.best_metric).removeprefix('R^2 ')}"
            if o.metric
            else ""
        )
    )
    final_skill = _skill(o.metric, o.final_metric, o.chance)
    if (
        o.metric == "accuracy"
        and not o.labels_matter  # a custom loss on embeddings: argmax accuracy is no measure of it
        and final_skill is not None
        and final_skill < limits.below_chance_skill
        and math.isfinite(o.final_loss)
        and o.final_loss < o.initial_loss
        # the predictions moved away from the labels: an accuracy that was already there at the
        # start (a model that barely moves at a tiny learning rate) says nothing about the loss
        and o.initial_metric is not None
        and o.final_metric is not None
        and o.final_metric <= o.initial_metric - limits.moved_away
    ):
        # training made the predictions worse than always guessing the most common class: whatever the
        # loss's scale or sign, what it rewards is the wrong answer
        evidence["chance_accuracy"] = _g(o.chance)
        return failed(
            f"cannot overfit {o.samples} samples: {progress}, and the accuracy ended at "
            f"{_metric_text(o.metric, o.final_metric)}, below the {_metric_text(o.metric, o.chance)} of always "
            "predicting the most common class. The loss falls as the predictions move away from the labels: it "
            "rewards the wrong answer (a log-likelihood minimized without its minus sign, a reversed margin)",
            evidence,
            fix="Check the loss's sign and direction: minimize the negative log-likelihood (-log p of the true "
            "class), or use nn.CrossEntropyLoss / nn.NLLLoss.",
        )
    if (
        math.isfinite(o.final_loss)
        and o.final_loss < 0
        and o.initial_loss - o.final_loss > limits.unbounded_fall * max(abs(o.initial_loss), 1.0)
    ):
        # on 20 samples a loss with a minimum levels off; one that keeps falling to hundreds of times
        # its starting size has no minimum: it is minimized in a direction with no end
        metric = f"; {metric_label} at the end {_metric_text(o.metric, o.final_metric)}" if o.metric else ""
        return failed(
            f"the loss falls without bound on {o.samples} samples: {o.initial_loss:.4g} -> {o.final_loss:.4g} in "
            f"{o.steps_run} steps ({lr}){metric}. A loss with a minimum levels off; this one is minimized in a "
            "direction with no end, as a log-likelihood without its minus sign or a reversed margin is",
            evidence,
            fix="Check the loss's sign: minimize the negative log-likelihood (-log p of the true class), or use "
            "nn.CrossEntropyLoss / nn.NLLLoss; a margin or distance loss must be bounded below.",
        )
    if o.initial_loss <= 0 or o.best_loss < 0:
        # no stock loss goes negative: this one carries a constant offset (a Poisson or Gaussian NLL
        # without its constant term), so its fall cannot be read against its start, and the metric of
        # the raw output need not be what it optimizes (a log-rate is no count)
        near = limits.near_accuracy if o.metric == "accuracy" else limits.near_r2
        if o.metric is not None and o.best_metric is not None and o.best_metric >= near:
            return passed(f"overfit {o.samples} samples: {progress}", evidence)
        raise Skip(
            f"the loss is negative ({o.initial_loss:.4g} at the start): a likelihood with a constant offset, whose "
            "fall cannot be judged against its start, and whose minimum nndoctor does not know"
        )
    # Conclusive at any point of the run: a loss that uses the labels cannot fall far below both its
    # start and a uniform guess's value while the predictions miss the labels. Classification only:
    # a regression loss also falls a lot by just learning the targets' mean.
    best_skill = _skill(o.metric, o.best_metric, o.chance)
    reference = min(o.initial_loss, o.chance_loss) if o.chance_loss else o.initial_loss
    evidence["chance_accuracy"] = _g(o.chance)
    if o.labels_matter is not None:
        evidence["labels_matter"] = o.labels_matter
    if o.labels_matter and best_skill is not None and best_skill < limits.labels_ignored_skill:
        # a custom loss that uses the labels (swapping them changes it) while argmax accuracy does not
        # follow it: its outputs are no class scores (an embedding for a triplet or contrastive loss),
        # so the accuracy guessed from the integer targets is the wrong measure: judged on the loss
        evidence["judged_on"] = "loss"
        if math.isfinite(best_ratio) and best_ratio <= 0.05:
            return passed(
                f"the custom loss on {o.samples} samples fell to {_pct(best_ratio)} of its start; it depends on the "
                "labels (swapping them among the samples changes it), but the argmax accuracy guessed from the "
                "integer targets does not follow it, so the outputs are not class scores and the loss is what is "
                "judged",
                evidence,
            )
        o = dataclasses.replace(o, metric=None, goal=None, initial_metric=None, final_metric=None, best_metric=None)
    loss_outruns_accuracy = (
        o.metric == "accuracy"
        and math.isfinite(o.best_loss)
        and reference > 0
        and o.best_loss / reference <= limits.labels_ignored_loss_ratio
        and best_skill is not None
        and best_skill < limits.labels_ignored_skill
    )
    if loss_outruns_accuracy:
        return failed(
            f"cannot overfit {o.samples} samples: {progress}. The loss falls while the predictions do not match "
            "the labels: the loss is not measuring agreement with the targets",
            evidence,
            fix="Check that the loss compares the output with the labels from the batch (not with the predictions or "
            "another tensor), and that inputs and labels stay aligned through the dataset and collate_fn.",
        )
    if o.metric is None:
        goal_met = math.isfinite(best_ratio) and best_ratio <= 0.05
        if goal_met:
            return passed(f"the loss on {o.samples} samples fell to {_pct(best_ratio)} of its start", evidence)
    # R^2 below zero at best (worse than the targets' mean) is no measure of a loss of the user's own
    # even under a task hint (a VAE's Bernoulli logits against pixels, hinted "regression")
    unrelated_r2 = o.own_loss and o.metric == "r2" and o.best_metric is not None and o.best_metric < 0
    if (
        (o.custom_loss or unrelated_r2)
        and o.metric is not None
        and math.isfinite(best_ratio)
        and best_ratio <= limits.near_zero_loss_ratio
    ):
        # the metric is a guess for a loss of the user's own: a KL divergence to a teacher's logits
        # ignores a shift per row, a ranking loss the scale, a contrastive loss on a pair distance
        # reads no logit at 0; a loss near zero is the fit that loss asks for
        evidence["judged_on"] = "loss"
        measure = (
            "R^2 of the raw output against the targets" if o.metric == "r2" else "the accuracy read from the output"
        )
        return passed(
            f"the custom loss on {o.samples} samples fell to {_pct(best_ratio)} of its start ({progress}); {measure} "
            "is only nndoctor's guess for a loss that need not read the output that way, so the loss is what is "
            "judged",
            evidence,
        )
    best = o.best_metric if o.best_metric is not None else -math.inf
    near = limits.near_accuracy if o.metric == "accuracy" else limits.near_r2
    if (
        o.metric is not None
        and best >= near
        and math.isfinite(best_ratio)
        and best_ratio <= limits.near_zero_loss_ratio
    ):
        return passed(
            f"overfit {o.samples} samples: {progress}; with the loss near zero the remaining misses are a few "
            "hard cases, not a training problem",
            evidence,
        )
    frozen = ""
    if o.frozen_params:
        frozen += f"; {len(o.frozen_params)} parameter tensor(s) are frozen"
    if o.not_in_optimizer:
        frozen += f"; {len(o.not_in_optimizer)} trainable parameter tensor(s) are not in the optimizer (see ND302)"
    if not math.isfinite(best_ratio) or best_ratio >= limits.stuck_loss_ratio:
        return failed(
            f"cannot overfit {o.samples} samples: {progress}. The loss barely moves{frozen}",
            evidence,
            fix="Raise the learning rate by 10-100x (confirm with `nndoctor lr-find`), unfreeze the layers that should "
            "train, and make sure the loss depends on the model's output.",
        )
    evidence.update(trainable_params=o.trainable_params, target_values=o.samples * o.outputs_per_sample)
    if o.capacity_limited:
        return passed(
            f"{progress}; with {o.trainable_params} trainable parameters for {o.samples * o.outputs_per_sample} "
            f"target values the model cannot be expected to memorize {o.samples} samples, so its best fit is the "
            "goal (underfitting of the whole task is ND405's to judge)",
            evidence,
        )
    late, level_drop = _late_descent(o.losses)
    evidence["late_fall"] = _g(late)
    evidence["late_level_drop"] = _g(level_drop)
    # a curve that fell fast at first (the output bias, the easy samples) can spend only a small share
    # of its fall in the last quarter and still descend steadily, as a low learning rate makes it
    descending = late > limits.still_falling or (
        level_drop > limits.still_falling_level and best_ratio > limits.near_zero_loss_ratio
    )
    if o.metric is not None and best >= near and descending:
        return passed(
            f"nearly memorized {o.samples} samples and still improving when the step budget ended: {progress}",
            evidence,
        )
    if descending:
        # slow, not stuck: the loss keeps falling at the end, so memorizing only needs more steps at this
        # learning rate; whether the rate is too low is ND403's and ND404's to judge
        return passed(
            f"not memorized yet, but still improving steadily when the step budget ended: {progress} "
            f"(the last quarter of the run brought {_pct(late)} of the fall, {_pct(level_drop)} of the loss)",
            evidence,
        )
    if o.metric is not None and best >= near:
        # close to the goal: the fit works, the last points are slow; a rule of thumb, not a failure, and
        # nothing here confirms a problem (a stall far from the goal is judged below)
        return passed(
            f"note: nearly overfit {o.samples} samples: {progress} (goal {_metric_text(o.metric, o.goal)}); the loss "
            "leveled off just short of the goal, which a longer run or a larger learning rate usually closes",
            evidence,
        )
    target_rms = math.sqrt(data_stats.target_mean_sq) if data_stats.target_float else 0.0
    if o.metric != "accuracy" and target_rms > limits.max_target_rms:
        return failed(
            f"cannot overfit {o.samples} samples: {progress}. The regression targets are large (RMS "
            f"{target_rms:.3g}), so an output that starts near 0 needs many steps just to reach their scale",
            {"target_rms": target_rms, **evidence},
            fix="Standardize the targets (subtract the mean, divide by the std, and invert it at prediction time), "
            "or initialize the output layer's bias to the target mean.",
        )
    return failed(
        f"cannot overfit {o.samples} samples: {progress}. The loss stalls part-way{frozen}",
        evidence,
        fix="Give the model more capacity (width/depth, a nonlinearity between linear layers), standardize the "
        "inputs, tune the learning rate, and check that the labels are consistent with the inputs.",
    )


def _late_descent(losses: Sequence[float]) -> tuple[float, float]:
    """What the curve's last quarter fell by: as a share of the curve's whole fall (0 when it
    leveled off) and as a share of the loss where that quarter began."""
    finite = [v for v in losses if math.isfinite(v)]
    if len(finite) < 4:
        return 0.0, 0.0
    quarter = finite[-max(2, len(finite) // 4) :]
    drop = quarter[0] - quarter[-1]
    whole = finite[0] - min(finite)
    return (max(0.0, drop / whole) if whole > 0 else 0.0), (max(0.0, drop / quarter[0]) if quarter[0] > 0 else 0.0)


# -- ND404 ---------------------------------------------------------------------------------
def windows(losses: Sequence[float], count: int = 10) -> list[tuple[float, float]]:
    """Mean and standard error of `count` equal consecutive chunks of the curve (finite values only)."""
    n = len(losses)
    if n == 0:
        return []
    count = max(1, min(count, n))
    size = n / count
    out = []
    for i in range(count):
        chunk = [v for v in losses[round(i * size) : round((i + 1) * size)] if math.isfinite(v)]
        if not chunk:
            out.append((math.nan, 0.0))
            continue
        mean = math.fsum(chunk) / len(chunk)
        se = statistics.stdev(chunk) / math.sqrt(len(chunk)) if len(chunk) > 1 else 0.0
        out.append((mean, se))
    return out


def steady_evaluations(run: ShortRun) -> bool:
    """The fixed-batch evaluations fell at every point, on the training and (when there is one) the
    validation batches: a real fall, however noisy the per-step losses of fresh batches are."""
    series = [[e.train_loss for e in run.evals]]
    if all(e.val_loss is not None for e in run.evals):
        series.append([e.val_loss for e in run.evals if e.val_loss is not None])
    return len(run.evals) >= 3 and all(
        all(math.isfinite(a) and b < a for a, b in itertools.pairwise(values)) for values in series
    )


def curve_shape(run: ShortRun) -> dict[str, float]:
    """Numbers that classify a loss curve, from fixed-batch evaluations and the per-step curve.

    `drop`: relative fall of the eval-mode training loss from the start to the end.
    `rise`: end / start of that loss. `wiggle`: the increases between windowed means of the
    per-step curve beyond their noise (two standard errors), summed, as a share of the fall from
    the start to the lowest window. `give_back`: how much of the best improvement of the eval loss
    was lost again by the end.
    """
    start, end = run.evals[0].train_loss, run.evals[-1].train_loss
    finite = [e.train_loss for e in run.evals if math.isfinite(e.train_loss)]
    best = min(finite) if finite else math.nan
    stats = [w for w in windows(run.losses) if math.isfinite(w[0])]
    means = [m for m, _ in stats]
    low = min(means) if means else math.nan
    span = start - low
    ups = sum(max(0.0, (b - a) - 2 * math.hypot(se_a, se_b)) for (a, se_a), (b, se_b) in itertools.pairwise(stats))
    # how many noise levels (standard errors of the window means) the curve fell from its first to
    # its last window: above ~3 the fall is real, however small
    trend = (stats[0][0] - stats[-1][0]) / max(math.hypot(stats[0][1], stats[-1][1]), 1e-12) if len(stats) >= 2 else 0.0
    return {
        "trend_z": trend,
        "start_loss": start,
        "end_loss": end,
        "drop": (start - end) / abs(start) if start and math.isfinite(start - end) else 0.0,
        "rise": end / start if start > 0 else math.nan,
        "wiggle": ups / span if span > 0 else math.nan,
        "give_back": (end - best) / (start - best) if start - best > 0 else 0.0,
    }


def _layer_table(run: ShortRun) -> Table:
    rows = []
    for layer in run.layers:
        ratios = [r for r in layer.update_ratios if math.isfinite(r)]
        rows.append(
            [
                layer.name,
                layer.kind,
                _g(layer.grad_norms[0]) if layer.grad_norms else None,
                _g(layer.grad_norms[-1]) if layer.grad_norms else None,
                _g(statistics.median(ratios)) if ratios else None,
                _g(max(ratios)) if ratios else None,
            ]
        )
    return Table(
        f"per layer over the run (measured at steps {', '.join(str(s) for s in run.tracked_steps[:12])}"
        + ("..." if len(run.tracked_steps) > 12 else "")
        + ")",
        ["layer", "kind", "grad norm first", "grad norm last", "update/weight median", "update/weight max"],
        rows,
    )


EPS_FIX = (
    "Use the optimizer's default eps (1e-8 for Adam and AdamW; 1e-6 at most, e.g. for mixed precision): eps only "
    "guards against dividing by zero, and a large one turns the adaptive step into a much smaller, plain gradient "
    "step. Then confirm the learning rate with `nndoctor lr-find`."
)


def _eps_cause(run: ShortRun, evidence: dict[str, object]) -> str | None:
    """Why a slow or flat run is slow when the optimizer's eps outweighs the gradients' scale on
    most weights (an experiment-read fact: the optimizer's own second-moment state), else None."""
    limit = run.eps_limit
    if limit is None:
        return None
    evidence["eps"] = limit.eps
    evidence["eps_dominated_share"] = _g(limit.dominated)
    evidence["gradient_scale_median"] = _g(limit.median_scale)
    if limit.dominated < 0.5:
        return None
    return (
        f"the optimizer's eps ({limit.eps:.2g}) is {limit.eps / limit.median_scale:.0f}x the typical gradient scale "
        f"it divides by (median sqrt(v) {limit.median_scale:.2g}; eps is 10x or more above it on "
        f"{_pct(limit.dominated)} of the weights), so eps, not the learning rate, sets the step: steps are about "
        f"{limit.shrink:.0f}x smaller than lr"
    )


def _median_update(run: ShortRun) -> float | None:
    values = [r for layer in run.layers for r in layer.update_ratios if math.isfinite(r)]
    return statistics.median(values) if values else None


@check(
    "ND404",
    "unhealthy-loss-curve",
    "A short training run lowers the loss steadily",
    cost="train",
    thresholds={
        "min_drop": 0.05,
        "max_rise": 1.5,
        "max_wiggle": 0.15,
        "max_give_back": 0.25,
        "min_trend_z": 3.0,
        "min_slow_drop": 0.005,
    },
    explains=("ND405",),
)
def loss_dynamics(short_run: ShortRun, limits: Thresholds) -> Verdict:
    """The shape of the loss curve over a short run with your optimizer.

    What it checks:
    A few hundred steps with the user's optimizer from the initial state. The eval-mode training
    loss on fixed batches at the start and at the end gives the trend; the per-step loss, averaged
    over ten windows, gives the shape. The curve is classified as decreasing, flat, oscillating,
    diverging, or NaN/Inf, and per-layer gradient norms and update/weight ratios are tracked
    through the run.

    Why it matters:
    The curve is the first thing to read when babysitting training. A loss that barely changes
    means the learning rate is too small or the network is dead (no gradient reaches the
    weights); one that explodes or turns NaN means the learning rate is too large (or an
    unstable operation); one that keeps bouncing up and gives back its progress means steps
    that overshoot. Each costs a full training run to discover later.

    Evidence:
    Loss at the start and end, relative drop, the windowed curve, wiggle and give-back shares,
    the step of the first NaN/Inf, and a per-layer table of gradient norms (first and last) and
    update/weight ratios (median and max; about 1e-3 is healthy).

    How to fix:
    Flat: raise the learning rate (10x at a time, or `nndoctor lr-find`), or, with no gradient,
    fix dead units (init, activations). Diverging or NaN: lower the learning rate by 10x or more,
    add gradient clipping, check for unsafe ops. Oscillating: lower the learning rate 3-10x or
    use a larger batch.

    "Flat" means no real fall: a curve that falls less than `min_drop` but steadily, at least
    `min_trend_z` noise levels (standard errors of the window means) and `min_slow_drop` of its
    start, is slow rather than flat and passes, as is one whose evaluations on the same training
    and validation batches fell at every point of the run; the range test (ND403) says whether the
    learning rate is far from where it trains best. A slow or flat run is a warning when the
    optimizer's `eps` outweighs the gradient scale it divides by (Adam-like optimizers step by
    lr * m / (sqrt(v) + eps)): read from the optimizer's own state at the end of the run, eps at
    least 10x sqrt(v) on most of the tracked weights means eps, not the learning rate, sets the
    step size, and the range test's "lr too low" (ND403) is then its consequence. A run whose loss
    is still flat at its end goes on for `plateau_steps` more (200 by default): transformers often
    sit on a plateau for a few hundred steps before the loss breaks, and that is a slow start, not
    a flat curve. When the loss breaks through (it falls 5% of its start, and per step 3x as fast
    as in the planned steps) the whole run is judged; otherwise the extra steps are left out of the
    record and the planned run is judged as if it had stopped there.
    """
    run = short_run
    if run.steps_run < 2 or not run.evals:
        raise Skip(f"the short run stopped after {run.steps_run} step(s) ({run.stop_reason}); nothing to judge")
    shape = curve_shape(run)
    lr = f"{run.optimizer} lr {run.lr:g}" if run.lr is not None else run.optimizer
    median_update = _median_update(run)
    evidence: dict[str, object] = {
        "steps": run.steps_run,
        "step_budget": run.steps_planned,
        "plateau_steps_added": run.extended,
        "plateau_steps_tried": run.plateau_tried,
        "stop_reason": run.stop_reason,
        "optimizer": run.optimizer,
        "lr": run.lr,
        "precision": run.precision,
        "start_loss": _g(shape["start_loss"]),
        "end_loss": _g(shape["end_loss"]),
        "drop": _g(shape["drop"]),
        "wiggle": _g(shape["wiggle"]),
        "trend_z": _g(shape["trend_z"]),
        "give_back": _g(shape["give_back"]),
        "windowed_curve": [_g(m) for m, _ in windows(run.losses)],
        "first_nonfinite_step": run.first_nonfinite,
        "median_update_ratio": _g(median_update),
    }
    eps_cause = _eps_cause(run, evidence)
    plateau = (
        f", after a plateau: flat over the first {run.steps_planned} steps, so the run went on {run.extended} more, "
        "and the loss broke through"
        if run.extended
        else ""
    )
    table = _layer_table(run)
    partial = f" (stopped by the time budget after {run.steps_run} of {run.steps_planned} steps)"
    partial = partial if run.stop_reason == "time" else ""
    if run.stop_reason == "time" and run.steps_run < max(10, run.steps_planned // 10):
        raise Skip(f"the time budget stopped the short run after {run.steps_run} of {run.steps_planned} steps")

    climbed = not math.isfinite(shape["end_loss"]) or shape["end_loss"] > shape["start_loss"]
    if run.maximize and run.first_nonfinite != 0 and math.isfinite(shape["start_loss"]) and climbed:
        verdict = failed(
            f"the optimizer is set to maximize=True, so every step climbs the loss instead of lowering it: "
            f"{shape['start_loss']:.4g} at the start, {shape['end_loss']:.4g} after {run.steps_run} steps ({lr})",
            evidence,
            fix="Remove maximize=True from the optimizer (it is for objectives to maximize, such as a reward); to "
            "maximize a score with a loss-minimizing loop, minimize its negative instead.",
            explains=("ND303", "ND402", "ND403", "ND405", "ND406"),
        )
        verdict.tables.append(table)
        return verdict
    if run.first_nonfinite == 0 or not math.isfinite(shape["start_loss"]):
        verdict = failed(
            "the loss is NaN/Inf from the very first step, before any update: the data or the forward pass "
            "produce it, not the learning rate",
            evidence,
            fix="Find where the first NaN/Inf appears (ND204 names the module, ND102 checks the data) and fix that first.",
        )
    elif run.first_nonfinite is not None or not math.isfinite(shape["end_loss"]):
        step = run.first_nonfinite
        finite = [v for v in run.losses if math.isfinite(v)]
        peak = max(finite) if finite else math.nan
        verdict = failed(
            f"the loss became NaN/Inf at step {step} of the short run ({lr}); it peaked at {peak:.4g} "
            f"from {shape['start_loss']:.4g} before that",
            evidence,
            fix="Lower the learning rate by 10x or more (`nndoctor lr-find` measures a safe range), add gradient "
            "clipping, and look for log/sqrt/division of values that can reach zero.",
        )
    elif run.stop_reason == "diverged" or shape["rise"] >= limits.max_rise:
        finite = [v for v in run.losses if math.isfinite(v)]
        verdict = failed(
            f"the loss diverges: {shape['start_loss']:.4g} at the start, {shape['end_loss']:.4g} after "
            f"{run.steps_run} steps (per-step peak {max(finite):.4g}; {lr})",
            evidence,
            fix="Lower the learning rate by 10x or more and confirm with `nndoctor lr-find`; clip gradients if single "
            "batches cause the spikes.",
        )
    elif not run.trainable:
        verdict = failed(
            "the loss does not require grad, so the optimizer cannot change it: the curve is flat by construction",
            evidence,
            fix="Look for .detach(), .item() or torch.no_grad() between the model output and the loss.",
        )
    elif (
        shape["drop"] < limits.min_drop
        and shape["drop"] >= limits.min_slow_drop
        and (shape["trend_z"] >= limits.min_trend_z or steady_evaluations(run))
        and run.trainable
    ):
        how = (
            f"a steady fall {shape['trend_z']:.1f} noise levels deep"
            if shape["trend_z"] >= limits.min_trend_z
            else "lower at every evaluation on the same training and validation batches"
        )
        if eps_cause is not None:
            verdict = warned(
                f"the loss falls slowly: {shape['start_loss']:.4g} -> {shape['end_loss']:.4g} ({_pct(shape['drop'])} "
                f"lower) over {run.steps_run} steps ({lr}); {eps_cause}",
                evidence,
                fix=EPS_FIX,
                explains=("ND403", "ND405"),
            )
        else:
            verdict = passed(
                f"decreasing slowly: the loss fell from {shape['start_loss']:.4g} to {shape['end_loss']:.4g} "
                f"({_pct(shape['drop'])}) over {run.steps_run} steps ({lr}), {how}; whether a larger learning "
                "rate would train faster is ND403's reading",
                evidence,
            )
    elif shape["drop"] < limits.min_drop:
        last_grads = [layer.grad_norms[-1] for layer in run.layers if layer.grad_norms]
        explains: tuple[str, ...] | None = None
        if eps_cause is not None:
            cause, advice, explains = eps_cause, EPS_FIX, ("ND403", "ND405")
        elif last_grads and all(g == 0 for g in last_grads):
            cause = "no gradient reaches any layer by the end: the network is dead (all units inactive)"
            advice = (
                "The weights stopped receiving gradient: if an early spike killed the units, lower the learning "
                "rate; otherwise fix the initialization or use Leaky ReLU/ELU."
            )
        elif median_update is not None and median_update < 1e-4:
            cause = f"updates are {median_update:.2g} of the weights per step (healthy: about 1e-3): the learning rate is too low"
            factor = 10 ** round(math.log10(max(1e-3 / max(median_update, 1e-12), 1.0)))
            if factor > 1e4 or (run.lr is not None and run.lr < 1e-9):
                # no sane setup has an lr this small on purpose: it is set wrong or decayed away
                cause = (
                    f"updates are {median_update:.2g} of the weights per step: the learning rate "
                    f"({run.lr:.2g}) is effectively zero"
                    if run.lr is not None
                    else f"updates are {median_update:.2g} of the weights per step: the weights do not move"
                )
                advice = (
                    "Check the learning rate you pass and any scheduler or warm-up that scales it (a decay that "
                    "reaches ~0); then measure a good value with `nndoctor lr-find`."
                )
            else:
                target = f" (to about {run.lr * factor:.2g})" if run.lr else ""
                advice = f"Raise the learning rate by about {factor:,}x{target} and confirm with `nndoctor lr-find`."
        else:
            if run.stop_reason == "time":
                raise Skip(
                    f"the time budget stopped the short run after {run.steps_run} of {run.steps_planned} steps, "
                    f"with the loss {_pct(shape['drop'])} lower: too early to call it flat"
                )
            cause = "the weights move but the loss does not follow"
            advice = None
        tried = f" ({run.plateau_tried} more steps did not break it)" if run.plateau_tried else ""
        verdict = warned(
            f"the loss is flat: {shape['start_loss']:.4g} -> {shape['end_loss']:.4g} ({_pct(shape['drop'])} lower) "
            f"over {run.steps_run} steps{tried} ({lr}); {cause}{partial}",
            evidence,
            fix=advice,
            explains=explains,
        )
    elif shape["give_back"] >= limits.max_give_back or (
        math.isfinite(shape["wiggle"]) and shape["wiggle"] >= limits.max_wiggle
    ):
        signs = []
        if shape["give_back"] >= limits.max_give_back:
            signs.append(f"by the end it gave back {_pct(shape['give_back'])} of its best improvement")
        if math.isfinite(shape["wiggle"]) and shape["wiggle"] >= limits.max_wiggle:
            signs.append(
                f"its windowed curve climbed back up by {_pct(shape['wiggle'])} of its fall, beyond batch noise"
            )
        verdict = warned(
            f"the loss oscillates: from {shape['start_loss']:.4g} to {shape['end_loss']:.4g} over {run.steps_run} "
            f"steps ({lr}), but {' and '.join(signs)}{partial}",
            evidence,
            fix="Lower the learning rate 3-10x (or use a larger batch) and confirm with `nndoctor lr-find`.",
        )
    else:
        verdict = passed(
            f"decreasing: the loss fell from {shape['start_loss']:.4g} to {shape['end_loss']:.4g} "
            f"({_pct(shape['drop'])}) over {run.steps_run} steps ({lr}){partial}{plateau}",
            evidence,
        )
    verdict.tables.append(table)
    return verdict


# -- ND405 ---------------------------------------------------------------------------------
def late_progress(run: ShortRun) -> float:
    """Share of the run's loss fall that came in its last fifth (windowed per-step curve)."""
    means = [m for m, _ in windows(run.losses) if math.isfinite(m)]
    start = run.evals[0].train_loss if run.evals else math.nan
    if len(means) < 3 or not math.isfinite(start) or start - means[-1] <= 0:
        return 0.0
    return max(0.0, (means[-3] - means[-1]) / (start - means[-1]))


def _skill(metric: str | None, value: float | None, chance: float | None) -> float | None:
    """The metric rescaled so that 0 is a constant predictor and 1 is perfect."""
    if value is None or metric is None:
        return None
    if metric == "accuracy":
        base = chance if chance is not None and chance < 1 else 0.0
        return (value - base) / (1 - base)
    return value  # R^2 is already 0 for predicting the mean


def _eval_table(evals: Sequence[EvalPoint], metric: str | None) -> Table:
    name = {"accuracy": "accuracy", "r2": "R^2"}.get(metric or "", "metric")
    return Table(
        "train and validation along the short run (eval mode)",
        ["step", "train loss", f"train {name}", "val loss", f"val {name}"],
        [[e.step, _g(e.train_loss), _g(e.train_metric), _g(e.val_loss), _g(e.val_metric)] for e in evals],
    )


@check(
    "ND405",
    "generalization-gap",
    "Training and validation results stay close, and are not both poor",
    cost="train",
    thresholds={
        "max_accuracy_gap": 0.1,
        "max_r2_gap": 0.25,
        "max_val_rise": 0.25,
        "min_train_skill": 0.5,
        "min_train_r2": 0.3,
        "plateau_progress": 0.05,
        "still_falling": 0.02,
        "min_val_gain": 0.01,
        "saturated_train_skill": 0.95,
    },
)
def generalization_gap(short_run: ShortRun, setup: Setup, limits: Thresholds) -> Verdict:
    """Overfitting and underfitting, read from the same short run.

    What it checks:
    After the short run, the training and validation loss and metric (accuracy, or R^2 for
    regression) on fixed batches in eval mode, measured at a few points along the run. Overfitting:
    the training metric is well above the validation metric, or the validation loss climbs back
    from its best while the training loss keeps falling. Underfitting: the training metric itself
    is poor (accuracy close to always guessing the majority class, or low R^2), validation is no
    better, and the loss has leveled off. A loss of the user's own that halved while R^2 of the raw
    output stays below zero optimizes something R^2 does not measure (a VAE's logits against
    pixels): then only the losses are compared. Next-token prediction (the batch's labels are its
    token ids, shifted) is not called underfitting on its accuracy: the text's own entropy caps it.

    Why it matters:
    A growing gap between training and validation means the network memorizes the training
    samples instead of learning what generalizes; more epochs make it worse. No gap with both
    poor means the model cannot represent the task (or is held back by too much regularization)
    and no amount of training time fixes it. The two call for opposite remedies, so telling them
    apart early saves runs.

    Evidence:
    Train and validation loss and metric at each evaluation point, the gap, the validation loss's
    rise from its best, and the normalized training skill.

    How to fix:
    Overfitting: add regularization (weight decay, dropout, data augmentation), get more data, or
    use a smaller model / stop earlier. Underfitting: use a bigger model (wider, deeper, with
    nonlinearities), train longer, lower the regularization, and re-tune the learning rate.

    A gap while validation is still improving (its loss falling by more than `still_falling` and
    its metric rising by `min_val_gain` between the last two evaluations) and training has not
    saturated (normalized skill below `saturated_train_skill`) is an undertrained model, not an
    overfitted one: it passes with a note.
    """
    run = short_run
    if not run.has_val:
        raise Skip("no validation data: return (train_loader, val_loader) from build_data() to compare them")
    if run.first_nonfinite is not None or run.stop_reason in ("nonfinite", "diverged"):
        raise Skip(f"the short run did not train normally ({run.stop_reason}); see ND404 first")
    if run.stop_reason == "time" and run.steps_run < max(10, run.steps_planned // 10):
        raise Skip(
            f"the time budget stopped the short run after {run.steps_run} of {run.steps_planned} steps, too few to "
            "compare training and validation"
        )
    if len(run.evals) < 2:
        raise Skip("the short run stopped before a second evaluation point")
    shape = curve_shape(run)
    if shape["drop"] < 0.05:
        raise Skip(
            f"the short run lowered the training loss only {_pct(shape['drop'])}, too little to compare training "
            "and validation (ND404 judges whether that is slow or flat)"
        )
    first, last = run.evals[0], run.evals[-1]
    metric = run.metric if last.train_metric is not None and last.val_metric is not None else None
    # a loss of the user's own that halved while R^2 of the raw output stays below zero (worse than
    # the targets' mean: a VAE's Bernoulli logits against pixels) optimizes something R^2 does not
    # measure: judged on the losses alone
    r2_unrelated = (
        metric == "r2"
        and setup.task.loss_kind is None
        and shape["drop"] >= 0.5
        and last.train_metric is not None
        and last.train_metric < 0
    )
    if r2_unrelated:
        metric = None
    gap = (
        last.train_metric - last.val_metric
        if metric and last.train_metric is not None and last.val_metric is not None
        else None
    )
    val_losses = [(e.step, e.val_loss) for e in run.evals if e.val_loss is not None and math.isfinite(e.val_loss)]
    best_step, best_val = min(val_losses, key=lambda sv: sv[1]) if val_losses else (0, math.nan)
    start_val = first.val_loss if first.val_loss is not None else math.nan
    val_rise = (
        (last.val_loss - best_val) / (start_val - best_val)
        if last.val_loss is not None and start_val - best_val > 0
        else 0.0
    )
    train_at_best = next((e.train_loss for e in run.evals if e.step == best_step), math.nan)
    skill = _skill(metric, last.train_metric, run.chance)
    val_skill = _skill(metric, last.val_metric, run.chance)
    late = late_progress(run)
    evidence: dict[str, object] = {
        "metric": metric,
        "train_loss": _g(last.train_loss),
        "val_loss": _g(last.val_loss),
        "train_metric": _g(last.train_metric),
        "val_metric": _g(last.val_metric),
        "gap": _g(gap),
        "val_loss_best": _g(best_val),
        "val_loss_best_step": best_step,
        "val_loss_rise": _g(val_rise),
        "train_skill": _g(skill),
        "val_skill": _g(val_skill),
        "chance_accuracy": _g(run.chance),
        "late_progress": _g(late),
        "steps": run.steps_run,
    }
    if r2_unrelated:
        evidence["judged_on"] = "loss"
    table = _eval_table(run.evals, run.metric)
    train_txt, val_txt = _metric_text(metric, last.train_metric), _metric_text(metric, last.val_metric)
    max_gap = limits.max_accuracy_gap if metric == "accuracy" else limits.max_r2_gap
    overfit_why = None
    previous = run.evals[-2] if len(run.evals) >= 2 else first
    # undertrained rather than overfitted: validation is still genuinely improving (its loss and its
    # metric) while training has not saturated; memorizing the training set with validation stuck
    # is overfitting even when the validation loss still inches down
    metric_improving = metric is None or (
        previous.val_metric is not None
        and last.val_metric is not None
        and last.val_metric >= previous.val_metric + limits.min_val_gain
    )
    train_saturated = skill is not None and skill >= limits.saturated_train_skill
    val_still_falling = (
        last.val_loss is not None
        and previous.val_loss is not None
        and math.isfinite(last.val_loss)
        and last.val_loss <= best_val
        and last.val_loss < previous.val_loss * (1 - limits.still_falling)
        and metric_improving
        and not train_saturated
    )
    evidence["val_still_falling"] = val_still_falling
    if gap is not None and gap > max_gap and val_still_falling:
        verdict = passed(
            f"training {train_txt} vs validation {val_txt} after {run.steps_run} steps (gap {gap:.2f}), but the "
            f"validation loss is still falling ({previous.val_loss:.4g} -> {last.val_loss:.4g}): an undertrained "
            "model, too early to call overfitting",
            evidence,
        )
        verdict.tables.append(table)
        return verdict
    if gap is not None and gap > max_gap:
        overfit_why = f"training {train_txt} vs validation {val_txt} after {run.steps_run} steps (gap {gap:.2f})"
    elif val_rise > limits.max_val_rise and last.train_loss <= train_at_best:
        overfit_why = (
            f"validation loss rose from its best {best_val:.4g} (step {best_step}) to {last.val_loss:.4g} "
            f"while the training loss kept falling to {last.train_loss:.4g}"
        )
    if overfit_why:
        growing = " and growing" if val_rise > 0.05 else ""
        verdict = warned(
            f"overfitting{growing}: {overfit_why}",
            evidence,
            fix="Add regularization (weight decay, dropout, data augmentation), get more training data, or use a "
            "smaller model and stop earlier.",
        )
    else:
        floor = limits.min_train_skill if metric == "accuracy" else limits.min_train_r2
        poor = skill is not None and skill < floor and (val_skill is None or val_skill <= skill + 0.1)
        task = setup.task
        guessed = metric == "accuracy" and task.loss_kind is None and not task.hinted
        if poor and guessed and shape["drop"] >= 0.5:
            verdict = passed(
                f"note: the custom loss fell {_pct(shape['drop'])} while the argmax accuracy guessed from the integer "
                f"targets stayed at training {train_txt}, validation {val_txt}: accuracy is not what this loss "
                "optimizes (an embedding or ranking loss, or one that ignores the labels: ND402 tells), so it is "
                "not read as underfitting",
                evidence,
            )
        elif poor and metric == "accuracy" and setup.next_token_targets:
            verdict = passed(
                f"note: next-token accuracy at training {train_txt}, validation {val_txt} after {run.steps_run} steps "
                f"(the loss fell {_pct(shape['drop'])}): a language model's accuracy is capped by how predictable the "
                "text is, not at 100%, so a low value is not read as underfitting",
                evidence,
            )
        elif poor and late < limits.plateau_progress and not val_still_falling:
            chance = f" (always guessing the majority class gives {_pct(run.chance)})" if run.chance is not None else ""
            verdict = warned(
                f"underfitting: training {train_txt} and validation {val_txt}{chance} after {run.steps_run} steps, "
                f"and the loss has leveled off (only {_pct(late)} of its fall came in the last fifth of the run)",
                evidence,
                fix="Use a bigger model (wider or deeper, with nonlinearities), lower the regularization, train longer "
                "and re-tune the learning rate.",
            )
        elif poor:
            still = (
                f"the validation loss is still falling ({previous.val_loss:.4g} -> {last.val_loss:.4g})"
                if val_still_falling
                else f"the loss is still falling ({_pct(late)} of its fall came in the last fifth of the run)"
            )
            verdict = passed(
                f"training {train_txt}, validation {val_txt}: both still low but {still}; a longer run will tell",
                evidence,
            )
        elif metric is None:
            verdict = passed(
                f"training loss {last.train_loss:.4g}, validation loss {last.val_loss:.4g}; the validation loss "
                "is not rising",
                evidence,
            )
        else:
            verdict = passed(
                f"training {train_txt} vs validation {val_txt} after {run.steps_run} steps (gap {gap:.2f})", evidence
            )
    verdict.tables.append(table)
    return verdict
