"""ND107-ND109: how the model, its output and its data are wired together, before any training."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.data import DataStats
    from nndoctor.probes.head import OutputHead
    from nndoctor.probes.structure import ForwardStrays, RegistrationStats
    from nndoctor.registration import Stray
    from nndoctor.setup import Setup

REGRESSION_LOSSES = ("mse", "l1", "smooth_l1", "huber")


def _count(n: int) -> str:
    return f"{n:,}"


def _kinds(kinds: list[str]) -> str:
    """'3 Linear layers', 'a Linear and a ReLU layer', '2 Linear and 1 BatchNorm1d layers'."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{n} {kind}" for kind, n in counts.items()]
    total = sum(counts.values())
    return ", ".join(parts) + (" layer" if total == 1 else " layers")


def _replacement(stray: Stray) -> str:
    if stray.container == "tensor":
        return "nn.Parameter"
    mapping = stray.container == "dict"
    if stray.module_kinds:
        return "nn.ModuleDict" if mapping else "nn.ModuleList"
    return "nn.ParameterDict" if mapping else "nn.ParameterList"


def _describe(stray: Stray) -> str:
    held = []
    if stray.module_kinds:
        held.append(_kinds(stray.module_kinds))
    if stray.tensors:
        held.append(f"{stray.tensors} tensor(s) that require grad")
    where = "is a tensor with requires_grad=True" if stray.container == "tensor" else f"(a {stray.container}) holds"
    what = "" if stray.container == "tensor" else " " + " and ".join(held)
    return f"`{stray.path}` {where}{what}"


@check(
    "ND107",
    "unregistered-parameters",
    "Every layer and parameter is registered with the model",
    cost="forward",
    explains=["ND106", "ND302", "ND402", "ND403", "ND404", "ND405"],
)
def unregistered_parameters(registration: RegistrationStats, forward_strays: ForwardStrays) -> Verdict:
    """Layers and parameters kept where torch does not look for them.

    What it checks:
    Every attribute of the model and of its submodules that holds layers (nn.Module), nn.Parameters
    or tensors that require grad inside a plain Python list, tuple, dict or set (nested a few
    levels), and bare tensors created with requires_grad=True, unless the same object is also
    registered elsewhere in the model (a deliberate second reference is fine). Then one forward pass
    (run twice) records every layer that forward() calls but the model does not hold: a layer built
    inside forward() (`nn.Linear(8, 32)(x)`: new random weights on every call, different layer
    objects in the two passes) or one kept outside the model (a global, a closure).

    Why it matters:
    nn.Module tracks a submodule or a parameter only when it is assigned as an attribute or held by
    nn.ModuleList, ModuleDict, ParameterList or ParameterDict. A layer in a plain list still runs in
    forward(), so nothing errors on the CPU, but it is missing from model.parameters(): the
    optimizer never updates it and it keeps its random initial weights. model.to(device) does not
    move it (a device-mismatch error on the GPU), state_dict() does not save it, and model.eval()
    does not switch off its dropout or put its batch norm on running statistics.

    Evidence:
    Per attribute: its path, the container, the unregistered layer kinds, their trainable and
    frozen parameter elements and buffer elements, and the train/eval-dependent layers among them;
    the number of parameters the model does register.

    How to fix:
    Create every layer once, in __init__, as an attribute of the module (never inside forward()).
    Keep layers in nn.ModuleList (nn.ModuleDict for a dict, nn.Sequential for a plain chain) and
    parameters in nn.ParameterList or nn.ParameterDict; wrap a bare tensor in nn.Parameter. Then
    build the optimizer from model.parameters(). A module kept outside the model on purpose (a
    frozen teacher) should have its parameters frozen with requires_grad_(False).
    """
    r = registration
    strays = r.strays
    outside = forward_strays
    evidence: dict[str, object] = {
        "forward_unregistered": {
            "layers": outside.kinds[:20],
            "trainable_elements": outside.trainable,
            "train_eval_layers": outside.mode_dependent,
            "created_per_call": outside.created_per_call,
        },
        "registered_parameters": r.registered_parameters,
        "registered_trainable": r.registered_trainable,
        "unregistered": [
            {
                "attribute": s.path,
                "container": s.container,
                "layers": s.module_kinds[:20],
                "tensors": s.tensors,
                "trainable_elements": s.trainable,
                "frozen_elements": s.frozen,
                "buffer_elements": s.buffers,
                "train_eval_layers": s.mode_dependent,
            }
            for s in strays[:20]
        ],
    }
    if outside.kinds and (outside.trainable or outside.mode_dependent) and not any(s.trainable for s in strays):
        return _forward_verdict(outside, r.registered_trainable, evidence)
    if not strays:
        return passed(
            f"all {_count(r.registered_parameters)} parameter elements are registered; no layer or tensor is kept "
            "in a plain Python container",
            evidence,
        )
    trainable = [s for s in strays if s.trainable]
    modal = [s for s in strays if s.mode_dependent and not s.trainable]
    if trainable:
        total = sum(s.trainable for s in trainable)
        worst = max(trainable, key=lambda s: s.trainable)
        others = f" (and {len(trainable) - 1} more attribute(s))" if len(trainable) > 1 else ""
        share = total / (total + r.registered_trainable)
        return failed(
            f"{_describe(worst)}{others}: {_count(total)} trainable parameter elements ({share:.0%} of the model's) "
            "that are not registered, so they are not in model.parameters(), .to(device) or state_dict(), and no "
            f"optimizer trains them: use {_replacement(worst)}",
            evidence,
            fix=f"Replace the plain {worst.container} `{worst.path}` with {_replacement(worst)}(...) so torch "
            "registers what it holds, then build the optimizer from model.parameters()."
            if worst.container != "tensor"
            else f"Make `{worst.path}` an nn.Parameter (assigned as a module attribute), then build the optimizer "
            "from model.parameters().",
        )
    if modal:
        first = modal[0]
        kinds = ", ".join(first.mode_dependent)
        return warned(
            f"{_describe(first)} with no trainable weights, but {kinds} behaves differently in train() and eval(): "
            "model.eval() does not reach it, so it keeps acting as in training",
            evidence,
            fix=f"Replace the plain {first.container} `{first.path}` with {_replacement(first)}(...) so that "
            "train()/eval() reach the layers it holds.",
        )
    held = "; ".join(_describe(s) for s in strays[:3])
    return passed(
        f"note: {held}, outside torch's registration; nothing in it trains (no trainable weights, no "
        "train/eval-dependent layer), so this is harmless unless it was meant to",
        evidence,
    )


def _forward_verdict(outside: ForwardStrays, registered: int, evidence: dict[str, object]) -> Verdict:
    what = _kinds(outside.kinds)
    if outside.created_per_call:
        where = "built inside forward(): every call makes new layer objects"
        if outside.trainable:
            return failed(
                f"forward() runs {what} that the model does not hold, {where} with new random weights "
                f"({_count(outside.trainable)} trainable elements), so no optimizer trains them and the same input "
                "gives a different output on every call",
                evidence,
                fix="Create these layers once in __init__ (self.fc = nn.Linear(...)) and only call them in forward().",
            )
        kinds = ", ".join(outside.mode_dependent)
        return warned(
            f"forward() runs {what} {where}; {kinds} made that way is always in training mode, so model.eval() "
            "never switches it off",
            evidence,
            fix="Create these layers once in __init__ and call them in forward(), or use the functional form with "
            "training=self.training.",
        )
    share = outside.trainable / max(outside.trainable + registered, 1)
    return warned(
        f"forward() runs {what} kept outside the model (a global or a closure): {_count(outside.trainable)} trainable "
        f"elements ({share:.0%} of all) that model.parameters(), .to(device), state_dict() and model.eval() do not see",
        evidence,
        fix="Make the layer an attribute of the model (or of a submodule) so torch registers it; if it is meant to "
        "stay fixed, freeze it with requires_grad_(False).",
    )


@check(
    "ND108",
    "unreachable-targets",
    "The output activation can reach the regression targets",
    cost="forward",
    thresholds={"warn_floor": 0.03, "fail_floor": 0.1, "fail_share": 0.5},
    explains=["ND402", "ND404", "ND405"],
)
def unreachable_targets(output_head: OutputHead, setup: Setup, limits: Thresholds) -> Verdict:
    """An output activation whose range cannot reach the targets.

    What it checks:
    The operation that produces the model's output, read off the autograd graph (a module such as
    nn.ReLU or nn.Sigmoid, or its functional form), and the range of values it can produce: ReLU,
    Softplus and exp are non-negative, Sigmoid lies in (0, 1), Tanh in (-1, 1), Hardtanh and clamp
    between their limits. For a regression loss (MSE, L1, Huber), the share of target values outside
    that range and the MSE no choice of weights can get under (the mean squared distance from each
    target to the range), compared with the targets' variance.

    Why it matters:
    A regression head must be able to output every target value. A ReLU at the end cannot predict
    the negative half of standardized targets, and its output unit stops getting gradient whenever
    it sits at zero; a Sigmoid cannot exceed 1, so on targets like prices or counts it saturates,
    its gradient vanishes, and the model predicts a constant. Training runs without error and the
    loss stalls at a floor set by the activation, not by the data.

    Evidence:
    The output operation and module, its range, the targets' range, mean and variance, the share of
    targets below and above the range, the unreachable MSE floor and its ratio to the variance.

    How to fix:
    End a regression model with a plain Linear layer (no activation) and standardize the targets
    (subtract the mean, divide by the std; invert it at prediction time). If the output really is
    bounded, rescale the targets into the activation's range, or rescale the activation to the
    targets' (low + (high - low) * sigmoid(z)).
    """
    h = output_head
    loss = setup.task.loss_kind
    if loss not in REGRESSION_LOSSES:
        raise Skip(
            f"the loss ({setup.loss_name}) is not a regression loss that compares outputs with targets value by value"
        )
    if not h.comparable or not h.targets:
        raise Skip("the output and the targets do not match element by element (or the targets are not real numbers)")
    if not h.bounded:
        return passed(
            f"the output comes from an unbounded operation ({h.op or 'a linear layer or arithmetic'}); targets "
            f"{h.target_min:.4g}..{h.target_max:.4g} are within reach",
            {"output_op": h.op, "target_range": [h.target_min, h.target_max]},
        )
    share = h.out_of_reach
    floor_ratio = h.floor_mse / h.target_var if h.target_var > 0 else (math.inf if h.floor_mse > 0 else 0.0)
    reach = h.reach
    evidence = {
        "output_op": h.op,
        "output_module": h.module,
        "output_module_kind": h.module_kind,
        "output_range": [h.low, h.high if math.isfinite(h.high) else "inf"],
        "measured_output": [h.output_min, h.output_max],
        "target_range": [h.target_min, h.target_max],
        "target_mean": h.target_mean,
        "target_var": h.target_var,
        "targets_compared": h.targets,
        "share_below": h.below / h.targets,
        "share_above": h.above / h.targets,
        "mse_floor": h.floor_mse,
        "mse_floor_over_variance": floor_ratio if math.isfinite(floor_ratio) else "inf",
    }
    where = f" (`{h.module}`)" if h.module else ""
    sides = []
    if h.below:
        sides.append(f"{h.below / h.targets:.0%} of the targets are below {h.low:g}")
    if h.above:
        sides.append(f"{h.above / h.targets:.0%} are above {h.high:g}")
    head = f"the output comes from {h.activation}{where}, which can only produce values in {reach}"
    if not sides:
        return passed(f"{head}, and every target ({h.target_min:.4g}..{h.target_max:.4g}) lies inside it", evidence)
    detail = (
        f"{head}, but {' and '.join(sides)} (targets {h.target_min:.4g}..{h.target_max:.4g}): no weights get the "
        f"MSE under {h.floor_mse:.3g}, {floor_ratio:.2g}x the targets' variance"
    )
    fix = (
        f"Remove the final {h.activation}: end the regression head with a plain Linear layer"
        + (
            ", and standardize the targets (they reach " + f"{max(abs(h.target_min), abs(h.target_max)):.3g})"
            if max(abs(h.target_min), abs(h.target_max)) > 10
            else ""
        )
        + ". If the output must stay in "
        + reach
        + ", rescale the targets into that range instead."
    )
    if share >= limits.fail_share or floor_ratio >= limits.fail_floor:
        return failed(detail, evidence, fix=fix)
    if floor_ratio >= limits.warn_floor:
        return warned(detail, evidence, fix=fix)
    return passed(f"note: {detail}; too few to matter", evidence)


def _runs(modes: list[int]) -> str:
    """'0 x3, 1 x2, 2 x3 ...' for the first runs of equal batch labels."""
    runs = [(label, len(list(group))) for label, group in groupby(modes)]
    text = ", ".join(f"{label} x{n}" for label, n in runs[:8])
    return text + (", ..." if len(runs) > 8 else "")


def mean_run(labels: list[int]) -> float:
    """Average length of the runs of equal consecutive values."""
    return len(labels) / len(list(groupby(labels))) if labels else 0.0


def shuffled_run(shares: list[float], batch: int, batches: int, budget: int = 40_000) -> float:
    """The mean run of equal batch-majority labels that randomly ordered batches of `batch` samples
    would show, simulated from the class shares (seeded, about `budget` draws): about 1.1 for ten
    balanced classes, but long for a dominant class, whose majority holds batch after batch."""
    rng = random.Random(0)
    classes = list(range(len(shares)))
    cumulative = list(itertools.accumulate(shares))
    size = max(1, batch)
    repeats = max(2, min(20, budget // (size * max(batches, 1))))
    total = 0.0
    for _ in range(repeats):
        modes = [
            Counter(rng.choices(classes, cum_weights=cumulative, k=size)).most_common(1)[0][0] for _ in range(batches)
        ]
        total += mean_run(modes)
    return total / repeats


@check(
    "ND109",
    "unshuffled-training-data",
    "Training batches mix the classes, as a shuffled loader's do",
    cost="static",
    thresholds={
        "max_class_ratio": 0.5,
        "min_low_share": 0.5,
        "min_expected_classes": 2.0,
        "min_run": 4.0,
        "run_factor": 3.0,
    },
    explains=["ND102", "ND402", "ND404", "ND405"],
)
def unshuffled_training_data(data_stats: DataStats, setup: Setup, limits: Thresholds) -> Verdict:
    """Training data ordered by class and never shuffled.

    What it checks:
    For class labels, in the order the loader yields the batches: the number of distinct classes
    in each batch, and the runs of consecutive batches that share a majority label, each against
    what randomly ordered batches of the same size would show (computed from the class
    frequencies); and whether the loader shuffles at all (its sampler).

    Why it matters:
    Data sets are often stored sorted by class. Without shuffling, every batch holds one or two
    classes and, batch after batch, the network is pushed towards the class it sees: it forgets
    the earlier classes every epoch and ends each epoch predicting the last ones. The longer each
    class lasts (many samples per class, small batches), the worse: on digits sorted by class with
    about 18 batches per class, validation accuracy ends at 67% (Adam) or 10% (SGD) against 96-97%
    shuffled. Shuffling every epoch makes each batch an unbiased sample of the data.

    Evidence:
    The sampler, batch size, classes per batch (mean and per batch) against random order, the
    share of batches far below it, the mean run of equal majority labels against random order,
    and the majority label of each held batch.

    How to fix:
    Shuffle the training data every epoch: DataLoader(..., shuffle=True), or a RandomSampler (a
    DistributedSampler with shuffle=True and set_epoch called every epoch). Keep the validation
    loader unshuffled; it does not matter there.
    """
    task = setup.task
    runs = data_stats.label_runs
    if task.kind not in ("classification", "binary") or not runs:
        raise Skip("needs integer class labels (classification) to see the order of the batches")
    if len(runs) < 3:
        raise Skip(f"only {len(runs)} training batch(es) held: too few to see an order")
    sampler = data_stats.sampler
    batch = data_stats.loader_batch_size or setup.batch_size or 1
    counts = data_stats.class_counts
    classes = max(task.num_classes or 0, len(counts))
    if counts and len(counts) >= classes:
        total = sum(counts.values())
        shares = [c / total for c in counts.values()]
    else:  # classes missing from the held batches (sorted data shows the first ones only): assume balance
        shares = [1 / classes] * classes if classes else [1.0]
    expected = sum(1 - (1 - p) ** batch for p in shares)
    observed = sum(runs) / len(runs)
    ratio = observed / expected if expected > 0 else 1.0
    low = sum(1 for r in runs if r <= limits.max_class_ratio * expected) / len(runs)
    modes = data_stats.label_modes
    run = mean_run(modes)
    evidence: dict[str, object] = {
        "sampler": sampler,
        "batch_sampler": data_stats.batch_sampler,
        "batch_size": batch,
        "classes": classes,
        "classes_per_batch": round(observed, 3),
        "expected_if_shuffled": round(expected, 3),
        "ratio": round(ratio, 3),
        "low_batches_share": round(low, 3),
        "mean_run": round(run, 2),
        "per_batch": runs[:32],
        "batch_majority_labels": modes[:32],
    }
    if sampler not in (None, "SequentialSampler"):
        return passed(f"the training loader draws its samples with {sampler}", evidence)
    if data_stats.batch_sampler not in (None, "BatchSampler"):
        return passed(f"a custom batch sampler ({data_stats.batch_sampler}) composes the batches", evidence)
    random_run = shuffled_run(shares, batch, len(modes))
    evidence["mean_run_if_shuffled"] = round(random_run, 2)
    measurable = expected >= limits.min_expected_classes
    few_classes = measurable and ratio <= limits.max_class_ratio and low >= limits.min_low_share
    long_runs = run >= max(limits.min_run, limits.run_factor * random_run)
    order = "the loader does not shuffle (SequentialSampler)" if sampler else "the batches are used in the order given"
    shown = f"majority label per batch: {_runs(modes)}"
    if long_runs and (few_classes or not measurable):
        return failed(
            f"{order} and the data is ordered by class: runs of {run:.3g} consecutive batches share one majority "
            f"label (shuffled: {random_run:.2g}), with {observed:.2g} classes per batch of {batch} "
            f"(shuffled: {expected:.2g}); {shown}",
            evidence,
        )
    if few_classes:
        return warned(
            f"{order} and batches of {batch} hold {observed:.2g} classes on average where shuffled batches would "
            f"hold {expected:.2g} of the {classes}: the data is ordered by class, though each class lasts only "
            f"{run:.2g} batches; {shown}",
            evidence,
        )
    return passed(
        f"{order}, but batches mix classes as random order would: {observed:.2g} classes per batch "
        f"(shuffled: {expected:.2g}), runs of {run:.2g} batches per majority label (shuffled: {random_run:.2g})",
        evidence,
    )
