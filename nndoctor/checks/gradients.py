"""ND3xx: gradients and the first optimizer step."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Table, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.backward import BackwardStats
    from nndoctor.probes.modes import IndependenceStats


def _g(value: float) -> float | str:
    return float(f"{value:.3g}") if math.isfinite(value) else str(value)


@check(
    "ND301",
    "vanishing-or-exploding-gradients",
    "Gradients reach the first layers with a usable magnitude",
    cost="backward",
    thresholds={"min_ratio": 1e-3, "max_ratio": 1e3, "extreme_min_ratio": 1e-6, "extreme_max_ratio": 1e6},
    explains=("ND402", "ND403", "ND404", "ND405"),
    confirmed_by=("ND402", "ND404", "ND405"),
)
def gradient_flow(init_backward: BackwardStats, limits: Thresholds) -> Verdict:
    """Per-layer gradient magnitudes through depth.

    What it checks:
    The root-mean-square weight gradient of every Linear/Conv layer after one backward pass at
    init, in forward order, and the ratio between the first layer's and the last layer's.

    Why it matters:
    Backpropagation multiplies the gradient by each layer's Jacobian on the way down. When those
    factors are below one (saturating activations, small init, very deep plain nets) the first
    layers receive gradients orders of magnitude smaller than the last ones and barely learn
    (vanishing); above one, they blow up (exploding) and updates overshoot.

    Evidence:
    A per-layer table of gradient RMS and weight RMS, and the first/last ratio.

    How to fix:
    Prefer ReLU-family activations, initialize for the activation (Kaiming/Xavier), add
    normalization layers and residual connections in deep nets; for exploding gradients also
    clip the gradient norm (`torch.nn.utils.clip_grad_norm_`) and lower the learning rate.

    Gradients that differ by a few orders of magnitude between layers are common in healthy
    networks (adaptive optimizers rescale them), so a ratio beyond `min_ratio`/`max_ratio` warns
    only when training shows the consequence (the tiny subset is not fitted, the loss is flat, the
    model underfits); beyond `extreme_min_ratio`/`extreme_max_ratio` it warns on its own.
    """
    # embeddings are lookup tables whose gradient lands only on the rows a batch uses: left out
    layers = [layer for layer in init_backward.layers if math.isfinite(layer.grad_rms)]
    if any(p.grad_nonfinite for p in init_backward.params):
        raise Skip("some gradients are non-finite; ND204 localizes them")
    if len(layers) < 2:
        raise Skip("fewer than two weight layers (Linear, Conv, RNN, attention) receive gradients")
    rows = [[layer.name, layer.kind, _g(layer.grad_rms), _g(layer.weight_rms)] for layer in layers]
    first, last = layers[0], layers[-1]
    if last.grad_rms == 0:
        raise Skip(f"the last layer {last.name} receives no gradient (see ND302)")
    ratio = first.grad_rms / last.grad_rms
    evidence = {
        "first_layer": first.name,
        "last_layer": last.name,
        "first_grad_rms": first.grad_rms,
        "last_grad_rms": last.grad_rms,
        "ratio": ratio,
    }
    table = Table("gradients at init", ["layer", "kind", "grad rms", "weight rms"], rows)
    # a layer that starts at exactly zero (a zero-initialized head or residual branch, as in DiT or
    # Fixup) blocks the gradient to everything before it for the first step only, by design
    zero_started = [layer.name for layer in layers[1:] if layer.weight_rms == 0]
    if zero_started:
        evidence["zero_initialized_layers"] = zero_started
    if ratio < limits.min_ratio:
        verdict = warned(
            f"vanishing gradients: {first.name} gets {ratio:.2g}x the gradient of {last.name} ({first.grad_rms:.3g} vs {last.grad_rms:.3g})"
            + (
                f"; {zero_started[0]} starts at zero, which blocks the gradient before the first step"
                if zero_started
                else ""
            ),
            evidence,
            extreme=ratio < limits.extreme_min_ratio and not zero_started,
        )
    elif ratio > limits.max_ratio:
        verdict = warned(
            f"exploding gradients: {first.name} gets {ratio:.3g}x the gradient of {last.name}",
            evidence,
            extreme=ratio > limits.extreme_max_ratio,
        )
    else:
        verdict = passed(
            f"gradient RMS of {first.name} is {ratio:.2g}x that of {last.name} across {len(layers)} layers", evidence
        )
    verdict.tables.append(table)
    return verdict


@check(
    "ND302",
    "untrained-parameters",
    "Every trainable parameter gets a gradient and is in the optimizer",
    cost="backward",
    explains=("ND301", "ND303", "ND402", "ND403", "ND404", "ND405"),
)
def unused_parameters(init_backward: BackwardStats) -> Verdict:
    """Parameters that will never be trained.

    What it checks:
    After one backward pass: parameters that require grad but are missing from the optimizer,
    parameters that received no gradient at all (not used in forward), and whether any trainable
    parameter received a non-zero gradient; an Embedding whose `padding_idx` the inputs use as a
    real token (ids of one per sample, or the id between other tokens inside the sequences rather
    than at their ends), whose row then never trains. Frozen parameters are listed as information.

    Why it matters:
    A parameter missing from the optimizer silently keeps its initial value (typically a head
    added after the optimizer was built); an unused layer wastes memory and often means forward()
    does not do what the author thinks; a loss that gives no parameter a gradient is detached
    from the model.

    Evidence:
    The parameter names in each group and their sizes.

    How to fix:
    Build the optimizer from `model.parameters()` after the model is complete; remove or call
    the unused layers; look for `.detach()`, `.item()` or `torch.no_grad()` between the model
    output and the loss.
    """
    params = init_backward.params
    trainable = [p for p in params if p.requires_grad]
    frozen = [p.name for p in params if not p.requires_grad]
    missing = [p.name for p in trainable if not p.in_optimizer]
    no_grad = [p.name for p in trainable if not p.has_grad and not p.trained_by_script]
    elsewhere = [p.name for p in trainable if p.trained_by_script]
    zero = [p.name for p in trainable if p.has_grad and p.grad_norm == 0]
    evidence = {
        "trainable": len(trainable),
        "frozen": frozen[:20],
        "not_in_optimizer": missing[:20],
        "no_gradient": no_grad[:20],
        "zero_gradient": zero[:20],
        "trained_by_the_scripts_other_losses": elsewhere[:20],
    }
    if not trainable:
        return failed(
            "no parameter requires grad: nothing can be trained",
            evidence,
            fix="Unfreeze the parameters to train (requires_grad=True).",
        )
    if all(not p.has_grad or p.grad_norm == 0 for p in trainable):
        return failed(
            "no trainable parameter received a non-zero gradient: the loss does not depend on the weights",
            evidence,
            fix="Look for .detach(), .item(), torch.no_grad() or a re-created tensor between the model output and the loss.",
        )
    if missing:
        return failed(
            f"{len(missing)} trainable parameter(s) are not in the optimizer and will never change: {', '.join(missing[:4])}",
            evidence,
            fix="Create the optimizer from model.parameters() after every layer has been added.",
        )
    if no_grad:
        return warned(
            f"{len(no_grad)} parameter(s) receive no gradient (unused in forward): {', '.join(no_grad[:4])}",
            evidence,
            fix="Remove the unused layers, or call them in forward() if they were meant to be used.",
        )
    if init_backward.padding_lookups:
        name, pad, share = init_backward.padding_lookups[0]
        return warned(
            f"{name} (an Embedding) treats id {pad} as padding (padding_idx={pad}: its vector stays zero and never "
            f"gets a gradient), but the inputs use id {pad} as a real token ({share:.1%} of the lookups, between "
            "other tokens or as an id of its own): the model can never learn what it means",
            {**evidence, "padding_lookups": [list(entry) for entry in init_backward.padding_lookups]},
            fix=f"Drop padding_idx if the data has no padding, or reserve an id that is only padding (e.g. the "
            f"vocabulary size) and shift the real ids so that {pad} is not one of them.",
        )
    note = f"; {len(frozen)} frozen" if frozen else ""
    if elsewhere:
        note += (
            f"; {len(elsewhere)} of them get theirs only from parts of the script's step that the checks do not "
            f"replay (another loss, another model call) ({', '.join(elsewhere[:4])})"
        )
    return passed(
        f"all {len(trainable)} trainable parameter tensors get gradients and are in the optimizer{note}", evidence
    )


@check(
    "ND303",
    "bad-update-ratio",
    "One optimizer step changes weights by about 1e-3 of their size",
    cost="backward",
    thresholds={"min_ratio": 1e-5, "max_ratio": 0.1, "extreme_min_ratio": 1e-8, "extreme_max_ratio": 1.0},
    explains=("ND402", "ND404", "ND405"),
    confirmed_by=("ND402", "ND403", "ND404"),
)
def update_ratio(init_backward: BackwardStats, limits: Thresholds) -> Verdict:
    """Size of one optimizer step relative to the weights.

    What it checks:
    For each Linear/Conv layer, |W_after - W_before| / |W_before| after one step of the user's
    optimizer from the initial state; the median over layers is compared with the healthy scale
    of about 1e-3.

    Why it matters:
    The update-to-weight ratio is the most direct reading of the learning rate's scale. Far above
    1e-3 (say above 0.1) a single step rewrites the weights and training oscillates or diverges;
    far below (under 1e-5) the weights barely move and training is needlessly slow. Adam's first
    steps are about lr per weight, so its ratio reads higher than SGD's at the same lr.

    Evidence:
    Per-layer ratios, the median, the optimizer and its learning rate.

    How to fix:
    Scale the learning rate by the factor that brings the median ratio near 1e-3 and confirm
    with `nndoctor lr-find`.

    The 1e-3 scale is a rule of thumb: healthy setups train at ratios from about 1e-4 to 1e-1
    (adaptive optimizers' first steps, small layers, high learning rates that still converge), so
    this warns only when an experiment shows the consequence (the LR range test, the tiny-subset fit
    or the short run), or when the ratio is extreme (a step that rewrites the weights, or one that
    does not move them at all).
    """
    # layers that cannot move for other reasons (no gradient: ND302/ND203; not in the optimizer:
    # ND302) would drag the median to zero and suggest the wrong fix
    layers = [
        layer
        for layer in init_backward.layers
        if layer.weight_rms > 0 and layer.grad_rms > 0 and layer.in_optimizer and math.isfinite(layer.update_ratio)
    ]
    if not layers:
        raise Skip("no Linear/Conv layer with non-zero weights and gradients is being optimized")
    ratios = [layer.update_ratio for layer in layers]
    median = statistics.median(ratios)
    evidence = {"median_ratio": median, "optimizer": init_backward.optimizer, "lr": init_backward.lr}
    table = Table(
        "update / weight after one step", ["layer", "ratio"], [[layer.name, _g(layer.update_ratio)] for layer in layers]
    )
    lr = f" (lr {init_backward.lr:g})" if init_backward.lr is not None else ""
    if median > limits.max_ratio:
        verdict = warned(
            f"one {init_backward.optimizer}{lr} step changes the weights by {median:.2g} of their size (median over layers); healthy is about 1e-3",
            evidence,
            fix=f"Lower the learning rate about {median / 1e-3:.0f}x and confirm with `nndoctor lr-find`.",
            extreme=median > limits.extreme_max_ratio,
        )
    elif median < limits.min_ratio:
        verdict = warned(
            f"one {init_backward.optimizer}{lr} step changes the weights by only {median:.2g} of their size; healthy is about 1e-3",
            evidence,
            fix=f"Raise the learning rate about {1e-3 / median:.0f}x and confirm with `nndoctor lr-find`."
            if median > 0
            else None,
            extreme=median < limits.extreme_min_ratio,
        )
    else:
        verdict = passed(
            f"median update/weight ratio {median:.2g} after one {init_backward.optimizer}{lr} step", evidence
        )
    verdict.tables.append(table)
    return verdict


@check(
    "ND304",
    "batch-mixing",
    "A sample's output depends only on its own input",
    cost="backward",
    thresholds={"max_leak": 1e-6},
    explains=("ND402", "ND405"),
)
def batch_independence_check(batch_independence: IndependenceStats, limits: Thresholds) -> Verdict:
    """Samples must not leak into each other inside a batch.

    What it checks:
    In eval mode, the gradient of one sample's output with respect to the whole input batch: it
    must be zero for every other sample.

    Why it matters:
    A `view`/`reshape` that mixes the batch dimension with a feature dimension (instead of a
    `permute`/`transpose`), or a reduction over the wrong axis, makes each prediction depend on
    other samples. Training may still lower the loss, but the model learns nonsense and behaves
    differently with another batch size.

    Evidence:
    Which samples leak into the probed one and how much gradient mass they carry relative to its
    own input.

    How to fix:
    Use `permute`/`transpose` to reorder dimensions and `flatten(1)` (not `view(-1, ...)` with
    the batch folded in) to flatten features; keep reductions off dimension 0.
    """
    evidence = {
        "batch_size": batch_independence.batch_size,
        "probed_sample": batch_independence.probed_sample,
        "leaking_samples": batch_independence.leaking_samples[:20],
        "leak_share": batch_independence.leak_share,
    }
    if batch_independence.leaking_samples and batch_independence.leak_share > limits.max_leak:
        return failed(
            f"the output of sample {batch_independence.probed_sample} depends on the inputs of {len(batch_independence.leaking_samples)} other sample(s) in the batch (gradient mass {batch_independence.leak_share:.3g}x its own)",
            evidence,
        )
    return passed(
        f"sample {batch_independence.probed_sample}'s output depends only on its own input (batch of {batch_independence.batch_size})",
        evidence,
    )
