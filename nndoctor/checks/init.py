"""ND2xx: the state at initialization and the forward signal."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Table, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.backward import BackwardStats
    from nndoctor.probes.data import DataStats
    from nndoctor.probes.forward import ForwardStats, Site
    from nndoctor.probes.modes import ModeStats
    from nndoctor.probes.nonfinite import TrainingNonfinite
    from nndoctor.setup import Setup


def recommended_std(activation: str | None, fan_in: int, fan_out: int) -> tuple[float, str]:
    """The init std the literature recommends before `activation` (KNOWLEDGE.md, init)."""
    if activation in ("relu", "relu6", "leakyrelu", "prelu", "elu", "gelu", "silu", "mish"):
        return (2.0 / fan_in) ** 0.5, "Kaiming (2/fan_in)"
    if activation in ("tanh", "sigmoid", "hardtanh", "softsign"):
        return (2.0 / (fan_in + fan_out)) ** 0.5, "Xavier (2/(fan_in+fan_out))"
    return (1.0 / fan_in) ** 0.5, "LeCun (1/fan_in)"


def _fmt(value: float) -> float | str:
    return (
        round(value, 4)
        if math.isfinite(value) and abs(value) >= 1e-3
        else float(f"{value:.3g}")
        if math.isfinite(value)
        else str(value)
    )


@check(
    "ND201",
    "implausible-initial-loss",
    "The loss at initialization is what chance predicts",
    cost="forward",
    thresholds={"max_ratio": 1.5, "max_regression_ratio": 3.0, "extreme_ratio": 3.0, "extreme_regression_ratio": 30.0},
    explains=("ND402", "ND404"),
    confirmed_by=("ND402", "ND404"),
)
def initial_loss(setup: Setup, init_forward: ForwardStats, data_stats: DataStats, limits: Thresholds) -> Verdict:
    """The first sanity check of any training run.

    What it checks:
    The loss of the untrained model (mean over a few batches) against the value an untrained
    model should give: ln(C) for C-class cross-entropy, ln 2 for binary cross-entropy, and for
    MSE the variance of the targets; per term when the loss sums over the batch
    (`reduction="sum"`).

    Why it matters:
    An untrained classifier should spread its probability evenly, so its cross-entropy is ln(C)
    (2.30 for 10 classes). A much higher initial loss means the logits start large and
    confident (a bad init or unscaled inputs), which wastes the first part of training or
    saturates outputs. For regression, a loss far above the target variance means the targets
    are far from zero or unscaled.

    Evidence:
    The measured initial loss, the expected value, their ratio and the per-batch losses.

    How to fix:
    Scale down the last layer's initial weights (or initialize them to zero) so the initial
    predictions are close to uniform; normalize the inputs; for regression, standardize the
    targets or set the output bias to their mean.

    A start somewhat above the expected value costs the first steps and training often recovers
    on its own (the output bias learns the targets' mean), so it warns only when the tiny-subset
    fit or the short run shows the cost, or when the ratio is extreme (`extreme_ratio` for
    classification losses, `extreme_regression_ratio` for regression). A non-finite initial loss
    always fails.
    """
    task = setup.task
    loss = init_forward.mean_loss
    evidence: dict[str, object] = {"initial_loss": loss, "per_batch": init_forward.losses, "task": task.kind}
    if not math.isfinite(loss):
        return failed(
            f"the initial loss is not finite ({init_forward.losses})",
            evidence,
            fix="Find where NaN/Inf first appears (see ND204) and fix it before anything else.",
        )
    kind = task.loss_kind
    if kind in ("cross_entropy", "nll") and task.num_classes and task.num_classes > 1:
        expected, label = math.log(task.num_classes), f"ln({task.num_classes})"
    elif kind in ("bce", "bce_with_logits"):
        expected, label = math.log(2), "ln(2)"
    elif kind == "mse":
        expected, label = data_stats.target_var, "var(target)"
    elif kind in ("l1", "smooth_l1", "huber"):
        expected, label = math.sqrt(data_stats.target_var) * math.sqrt(2 / math.pi), "E|y - mean|"
    else:
        raise Skip(f"no expected initial value is known for the loss {setup.loss_name}")
    if expected <= 0:
        raise Skip("the targets have no variance, so there is no reference loss")
    if getattr(setup.loss_fn, "reduction", None) == "sum":
        # summed, not averaged, over the batch's terms: per term it compares with the reference
        terms = math.prod(task.target_shape) or 1
        if kind in ("cross_entropy", "nll") and len(task.target_shape) == len(task.output_shape) and task.num_classes:
            terms = max(1, terms // task.num_classes)  # class probabilities: one term per sample
        evidence.update(reduction="sum", terms_per_batch=terms, initial_loss_per_term=loss / terms)
        shown = f"{loss:.4g} (summed over {terms} terms a batch: {loss / terms:.4g} per term)"
        loss /= terms
    else:
        shown = f"{loss:.4g}"
    ratio = loss / expected
    evidence.update(expected=expected, expected_formula=label, ratio=ratio)
    limit = (
        limits.max_ratio if kind in ("cross_entropy", "nll", "bce", "bce_with_logits") else limits.max_regression_ratio
    )
    if ratio > limit:
        detail = ""
        if kind == "mse" and data_stats.target_mean_sq > 2 * data_stats.target_var:
            detail = (
                f"; the targets' mean ({data_stats.target_mean:.3g}) is far from zero, which the "
                "untrained output (near 0) pays for"
            )
        classification = kind in ("cross_entropy", "nll", "bce", "bce_with_logits")
        extreme_limit = limits.extreme_ratio if classification else limits.extreme_regression_ratio
        # an MSE that only pays for the targets' uncentred mean (loss ~ E[y^2], output near 0) is
        # learned away by the output bias in a few steps: not extreme on its own
        offset_only = kind == "mse" and loss <= 3 * max(data_stats.target_mean_sq, 1e-30)
        return warned(
            f"initial loss {shown} is {ratio:.2f}x the expected {label} = {expected:.4g}{detail}",
            evidence,
            extreme=ratio > extreme_limit and not offset_only,
        )
    note = " (below chance: fine for pretrained weights, otherwise suspect label leakage)" if ratio < 0.5 else ""
    return passed(f"initial loss {shown} vs expected {label} = {expected:.4g} (ratio {ratio:.2f}){note}", evidence)


ACTIVATION_KINDS = (
    "relu",
    "relu6",
    "leakyrelu",
    "prelu",
    "elu",
    "gelu",
    "silu",
    "mish",
    "tanh",
    "sigmoid",
    "hardtanh",
    "softsign",
    "selu",
    "celu",
    "softplus",
)


def activation_kind(kind: str) -> str:
    """`GELUActivation`, `NewGELUActivation`, `QuickGELUActivation` (Hugging Face) read as `gelu`."""
    plain = kind.lower().removesuffix("activation")
    if plain in ACTIVATION_KINDS:
        return plain
    return "gelu" if plain.endswith("gelu") else plain


def _next_activation(sites: list[Site], layer: Site) -> Site | None:
    """The activation that consumes a weighted layer's output (before the next weighted layer)."""
    for site in sites[layer.order + 1 :]:
        if site.weighted:
            return None
        if site.kind.startswith(("BatchNorm", "LayerNorm", "GroupNorm")):
            return site
        if activation_kind(site.kind) in ACTIVATION_KINDS:
            return site
    return None


@check(
    "ND202",
    "bad-weight-init",
    "Weights start with a scale that fits their activation, and not symmetric",
    cost="backward",
    thresholds={"min_ratio": 0.2, "max_ratio": 3.0, "extreme_ratio": 30.0},
    explains=("ND201", "ND203", "ND301", "ND303", "ND402", "ND403", "ND404", "ND405"),
    confirmed_by=("ND201", "ND203", "ND301", "ND402", "ND404"),
)
def init_scale(init_forward: ForwardStats, init_backward: BackwardStats, limits: Thresholds) -> Verdict:
    """Per-layer initialization scale and symmetry.

    What it checks:
    For each Linear/Conv layer, the standard deviation of its weights against the scale the
    literature recommends for the activation that follows (Kaiming, sqrt(2/fan_in), before
    ReLU-like activations; Xavier, sqrt(2/(fan_in+fan_out)), before tanh/sigmoid; LeCun,
    sqrt(1/fan_in), otherwise), and whether all output units of a layer have identical weights
    and receive identical gradients.

    Why it matters:
    Units with identical weights compute the same function and get the same update, so the
    symmetry is never broken and the layer acts as a single unit: the classic W = 0 bug. Weights
    too small make activations and gradients shrink layer after layer; too large make them
    explode or saturate tanh/sigmoid units; the effect grows exponentially with depth.
    PyTorch's default init (about 0.4x Kaiming) is within the accepted band.

    Evidence:
    Per layer: weight std, the recommended std and rule, their ratio, and the symmetry test.

    How to fix:
    Initialize weights randomly with the rule for the following activation, e.g.
    `nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")` or
    `nn.init.xavier_uniform_(layer.weight)` for tanh; never with a constant. Zero-initializing
    only the final layer or biases is fine.

    Symmetric layers always fail. A layer that starts at exactly zero while its units get different
    gradients (an identity-start transform, a zero-initialized residual branch) is noted, not
    judged off scale: the first step breaks the tie. An off-scale init is a rule of thumb (transformers' 0.02 normal
    init, for instance, sits well below Kaiming and trains well with LayerNorm and Adam), so it
    warns only when the forward signal, the gradients, the initial loss or training show the
    consequence, or when the scale is off by more than `extreme_ratio` either way.
    """
    sites = init_forward.sites
    by_name = {s.name: s for s in sites if s.weighted}
    rows = []
    symmetric = []
    off_scale = []
    zero_started: list[str] = []
    dense = [layer for layer in init_backward.layers if layer.dense]
    last = dense[-1].name if dense else None
    for layer in dense:
        site = by_name.get(layer.name)
        follower = _next_activation(sites, site) if site else None
        act = activation_kind(follower.kind) if follower else None
        normalized = bool(act and act.startswith(("batchnorm", "layernorm", "groupnorm")))
        expected, rule = recommended_std(act, layer.fan_in, layer.fan_out)
        ratio = layer.weight_rms / expected if expected else math.nan
        if layer.symmetric and layer.rows > 1:
            symmetric.append(layer.name)
            label = "symmetric"
        elif layer.starts_at_zero:
            # zero on purpose (an identity-start transform, a zero-initialized residual branch): the
            # units get different gradients, so the first step breaks the tie
            zero_started.append(layer.name)
            label = "zero (learns)"
        elif normalized:
            label = "normalized next"
        elif ratio > limits.max_ratio:
            off_scale.append((layer.name, ratio, "large"))
            label = "too large"
        elif ratio < limits.min_ratio and layer.name != last:
            off_scale.append((layer.name, ratio, "small"))
            label = "too small"
        else:
            label = "ok"
        rows.append(
            [
                layer.name,
                layer.kind,
                act or "-",
                _fmt(layer.weight_rms),
                _fmt(expected),
                rule.split()[0],
                _fmt(ratio),
                label,
            ]
        )
    table = Table(
        "weight init per layer", ["layer", "kind", "next", "std", "recommended", "rule", "ratio", "verdict"], rows
    )
    evidence = {
        "symmetric_layers": symmetric,
        "off_scale_layers": [[n, r, d] for n, r, d in off_scale],
        "zero_initialized_layers": zero_started,
    }
    if symmetric:
        verdict = failed(
            f"{len(symmetric)} layer(s) start symmetric ({', '.join(symmetric[:4])}): every unit has "
            "the same weights and gets the same gradient, so they can never differ",
            evidence,
        )
    elif off_scale:
        worst = max(off_scale, key=lambda item: abs(math.log(item[1])) if item[1] > 0 else math.inf)
        verdict = warned(
            f"{len(off_scale)} layer(s) initialized off scale; worst {worst[0]} at {worst[1]:.2g}x the recommended std",
            evidence,
            extreme=worst[1] > limits.extreme_ratio or worst[1] < 1 / limits.extreme_ratio,
        )
    else:
        verdict = passed(
            f"{len(rows)} weighted layer(s) initialized within {limits.min_ratio:g}-{limits.max_ratio:g}x of the recommended scale",
            evidence,
        )
    verdict.tables.append(table)
    return verdict


@check(
    "ND203",
    "unstable-activations",
    "Activations keep their scale through depth; few dead or saturated units",
    cost="forward",
    thresholds={
        "max_scale_change": 100.0,
        "max_saturated": 0.3,
        "max_dead": 0.5,
        "extreme_scale_change": 1e4,
        "extreme_saturated": 0.6,
        "extreme_dead": 0.9,
    },
    explains=("ND301", "ND402", "ND403", "ND404", "ND405"),
    confirmed_by=("ND301", "ND402", "ND404", "ND405"),
)
def forward_signal(
    init_forward: ForwardStats, limits: Thresholds, init_backward: BackwardStats | None = None
) -> Verdict:
    """How the signal travels forward through the untrained network.

    What it checks:
    The standard deviation of each weighted layer's output through depth (does it shrink or grow
    by orders of magnitude?), the share of saturated outputs of tanh/sigmoid layers and of the
    gate pre-activations a recurrent layer (GRU, LSTM, tanh RNN) computes from its input, and the
    share of dead units (zero for every sample in several batches) feeding each weighted layer.

    Why it matters:
    Each layer multiplies the signal by its gain; a gain away from 1 compounds exponentially
    with depth, so activations (and with them gradients) vanish or explode. Saturated tanh or
    sigmoid units have near-zero derivative and stop learning; dead ReLU units output zero for
    every input and never recover, shrinking the network's capacity.

    Evidence:
    A per-layer table: output mean and std, zero share, saturated share, dead input units; the
    ratio between the last and the first hidden layer's std.

    How to fix:
    Use the initialization that matches the activation (Kaiming for ReLU, Xavier for tanh), add
    normalization layers (BatchNorm/LayerNorm), and keep inputs normalized. For dead ReLUs lower
    the learning rate, avoid large negative biases, or use LeakyReLU/GELU; for saturation,
    reduce the weight scale or switch to ReLU-family activations; for a recurrent layer's
    saturated gates, bring its input to unit scale (an embedding scaled by sqrt(d) needs an init
    of std 1/sqrt(d); normalize input features).

    Networks whose activations drift by a couple of orders of magnitude at init still train when
    normalization or an adaptive optimizer compensates, so a moderate drift, saturation or dead
    share warns only when the gradients or training show the consequence; an extreme one (beyond
    the `extreme_*` thresholds, or a constant output) warns on its own, and a layer that receives
    no signal at all fails. A layer whose weights start at zero on purpose and get a gradient is
    constant at init by design (ND202 notes it), not counted.
    """
    sites = init_forward.sites
    weighted = [s for s in sites if s.weighted]
    if not weighted:
        raise Skip("the model has no Linear/Conv layers to follow")
    last_weighted = weighted[-1].order
    hidden = [s for s in weighted if s.order != last_weighted] or weighted
    rows = [
        [
            s.name,
            s.kind,
            _fmt(s.mean),
            _fmt(s.std),
            _fmt(s.zero),
            "-" if math.isnan(s.saturated) else _fmt(s.saturated),
            "-" if math.isnan(s.dead_inputs) else _fmt(s.dead_inputs),
        ]
        for s in sites
        if s.weighted or not math.isnan(s.saturated) or s.kind.startswith(("ReLU", "BatchNorm", "LayerNorm"))
    ]
    table = Table("activations at init", ["layer", "kind", "mean", "std", "zero", "saturated", "dead inputs"], rows)
    first, last = hidden[0].std, hidden[-1].std
    change = last / first if first > 0 and last > 0 else math.nan
    # zero-initialized on purpose (a PointNet T-Net's last layer, a ReZero or DiT branch): constant
    # at init, and its gradient is not zero, so it learns its way out at the first step
    starts_at_zero = (
        {layer.name for layer in init_backward.layers if layer.starts_at_zero} if init_backward is not None else set()
    )
    constant = [s for s in hidden if s.std == 0 and s.name not in starts_at_zero]
    saturated = [
        s
        for s in sites
        if not math.isnan(s.saturated) and s.order < last_weighted and s.saturated > limits.max_saturated
    ]
    dead = [s for s in sites if not math.isnan(s.dead_inputs) and s.dead_inputs > limits.max_dead]
    gates = [s for s in sites if not math.isnan(s.gate_saturated) and s.gate_saturated > limits.max_saturated]
    evidence = {
        "first_hidden_std": first,
        "last_hidden_std": last,
        "scale_change": change,
        "saturated_layers": {s.name: s.saturated for s in saturated},
        "dead_input_layers": {s.name: s.dead_inputs for s in dead},
        "saturated_gate_layers": {s.name: s.gate_saturated for s in gates},
    }
    if starts_at_zero:
        evidence["zero_initialized_layers"] = sorted(starts_at_zero)
    problems = []
    if constant:
        problems.append(f"{len(constant)} layer(s) output a constant (std 0), first {constant[0].name}")
    elif len(hidden) >= 2 and (change > limits.max_scale_change or change < 1 / limits.max_scale_change):
        direction = "grows" if change > 1 else "shrinks"
        problems.append(
            f"activation std {direction} {max(change, 1 / change):.3g}x from {hidden[0].name} ({first:.3g}) "
            f"to {hidden[-1].name} ({last:.3g})"
        )
    if saturated:
        worst = max(saturated, key=lambda s: s.saturated)
        problems.append(
            f"{len(saturated)} saturating layer(s), worst {worst.name} with {worst.saturated:.0%} saturated outputs"
        )
    if dead:
        worst = max(dead, key=lambda s: s.dead_inputs)
        problems.append(f"{worst.name} receives {worst.dead_inputs:.0%} dead units (zero for every sample)")
    if gates:
        worst = max(gates, key=lambda s: s.gate_saturated)
        problems.append(
            f"{worst.name} ({worst.kind}) gets inputs so large that {worst.gate_saturated:.0%} of its gate "
            "pre-activations saturate (|W_ih x + b| > 4.6: sigmoid and tanh slopes below 0.01)"
        )
    if dead and max(s.dead_inputs for s in dead) >= 1.0:
        verdict = failed("; ".join(problems) + ": no signal reaches the layers after it", evidence)
    elif problems:
        extreme = (
            bool(constant)
            or (math.isfinite(change) and max(change, 1 / change) > limits.extreme_scale_change)
            or any(s.saturated > limits.extreme_saturated for s in saturated)
            or any(s.dead_inputs > limits.extreme_dead for s in dead)
            or any(s.gate_saturated > limits.extreme_saturated for s in gates)
        )
        verdict = warned("; ".join(problems), evidence, extreme=extreme)
    else:
        verdict = passed(
            f"activation std changes {change:.2g}x through {len(hidden)} hidden layer(s) "
            f"(limit {limits.max_scale_change:g}x); no dead or saturated layers",
            evidence,
        )
    verdict.tables.append(table)
    return verdict


@check(
    "ND204",
    "non-finite-values",
    "No NaN/Inf in outputs, loss or gradients",
    cost="backward",
    thresholds={"grown_activation": 1e4},
    explains=("ND201", "ND203", "ND301", "ND401", "ND402", "ND403", "ND404", "ND405"),
)
def nonfinite_localization(
    init_forward: ForwardStats,
    init_backward: BackwardStats,
    data_stats: DataStats,
    limits: Thresholds,
    training_nonfinite: TrainingNonfinite | None = None,
    train_eval: ModeStats | None = None,
) -> Verdict:
    """Find the first place a NaN or Inf appears, forward and backward, at init and in training.

    What it checks:
    Every module's output during the forward pass at init, the model output and loss, and the
    gradient arriving at every module's output during one backward pass; it names the first
    module whose output is non-finite although its inputs were finite. When the short run (the
    default profile's ND404) turns NaN/Inf, the run is replayed step by step to the first step
    whose loss, gradients or weights are non-finite, and that step is localized the same way: the
    batch itself (data past the batches held at init), a module, the loss computed from finite
    outputs, the backward pass of a finite loss, or the optimizer update of finite gradients. A
    NaN that follows activations grown past `grown_activation` is the step size's doing, left to
    ND404 and ND303. The model's eval-mode output on the first batch (from ND106's experiment) is
    looked at too: a NaN only inference makes (a fast path training does not take) fails.

    Why it matters:
    One NaN propagates everywhere: after a single bad step every weight is NaN and training is
    over. The place it first appears names the cause: log or sqrt of a non-positive value,
    division by zero, exp overflow, an overflowing half-precision tensor, or NaN in the data.

    Evidence:
    The first offending module and its kind, how many values were non-finite, the non-finite
    gradients by module.

    How to fix:
    Guard the operation in the named module: clamp inputs to log/sqrt (e.g. `x.clamp_min(1e-8)`),
    add an epsilon to divisions, use log-sum-exp forms (log_softmax, BCEWithLogitsLoss) instead of
    exp then log, clean NaN from the data, and lower the learning rate if values overflow.
    """
    evidence: dict[str, object] = {}
    if data_stats.input_nonfinite:
        return failed(
            f"the input data already holds {data_stats.input_nonfinite} non-finite values (see ND102)",
            evidence,
            fix="Clean or impute non-finite values in the inputs before training.",
        )
    culprit = init_forward.first_nonfinite
    if culprit is None:
        after_functional = next((s for s in init_forward.sites if s.input_nonfinite), None)
        if after_functional is not None:
            previous = (
                init_forward.sites[after_functional.order - 1].name if after_functional.order else "the model input"
            )
            evidence.update(first_nonfinite_input=after_functional.name)
            return failed(
                f"NaN/Inf first appears in code between {previous} and {after_functional.name} "
                "(a functional operation in a forward() method, not a module)",
                evidence,
            )
    else:
        evidence.update(module=culprit.name, kind=culprit.kind, nonfinite_values=culprit.nonfinite)
        return failed(
            f"NaN/Inf first appears in the output of {culprit.name} ({culprit.kind}): "
            f"{culprit.nonfinite} non-finite values from finite inputs",
            evidence,
        )
    if init_forward.output_nonfinite or not all(math.isfinite(v) for v in init_forward.losses):
        return failed(
            f"the model output or the loss is non-finite (losses {init_forward.losses}) although every module output is finite: look at the loss and the code after the last module",
            evidence,
        )
    if init_backward.grad_output_nonfinite:
        first = init_backward.grad_output_nonfinite[0]
        evidence.update(gradient_nonfinite_at=init_backward.grad_output_nonfinite[:10])
        return failed(f"the forward pass is finite but the gradient becomes NaN/Inf at the output of {first}", evidence)
    bad_params = [p.name for p in init_backward.params if p.grad_nonfinite]
    if bad_params:
        evidence.update(parameters=bad_params[:10])
        return failed(f"{len(bad_params)} parameter gradient(s) are non-finite, first {bad_params[0]}", evidence)
    if train_eval is not None and train_eval.eval_nonfinite and not train_eval.train_nonfinite:
        evidence.update(eval_nonfinite_outputs=train_eval.eval_nonfinite)
        return failed(
            f"the model's output in eval mode holds {train_eval.eval_nonfinite} NaN/Inf value(s) on the first training "
            "batch, while the same batch in training mode is finite: validation and inference take a path training "
            "does not (e.g. nn.TransformerEncoderLayer's fast inference path, which turns a padding mask that hides "
            "every position of a sequence into NaN)",
            evidence,
            fix="Run the model in eval mode on one batch and find the first non-finite module (a forward hook); check "
            "masks (True marks padding in key_padding_mask, so a real token must be False) and anything that depends "
            "on model.training.",
        )
    at_init = f"all {len(init_forward.sites)} module outputs, the loss and the gradients are finite at init"
    if training_nonfinite is None:
        return passed(at_init, evidence)
    return _training_nonfinite(training_nonfinite, at_init, limits)


def _largest_activation(stats: ForwardStats) -> float:
    """The largest finite activation scale (|mean| + std of any module output, or |output|)."""
    sizes = [abs(s.mean) + s.std for s in stats.sites if math.isfinite(s.mean) and math.isfinite(s.std)]
    sizes += [abs(v) for v in (stats.output_min, stats.output_max) if math.isfinite(v)]
    return max(sizes, default=0.0)


def _nonfinite_name(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf") if math.isinf(value) else f"{value:.4g}"


def _training_nonfinite(found: TrainingNonfinite, at_init: str, limits: Thresholds) -> Verdict:
    """ND204 on the short run that went non-finite, from its replay."""
    run = f"{found.optimizer}" + (f" lr {found.lr:g}" if found.lr is not None else "")
    evidence: dict[str, object] = {
        "training_step": found.step,
        "short_run_step": found.short_run_step,
        "where": found.where,
        "optimizer": run,
    }
    if found.step is None or found.where is None:
        return passed(
            f"{at_init}; the short run's NaN/Inf at step {found.short_run_step} did not recur when it was "
            "replayed (a non-deterministic operation?), so it was not localized",
            evidence,
        )
    step = f"at step {found.step} of the short run ({run})"
    if found.where == "data":
        evidence["batch_nonfinite"] = found.batch_nonfinite
        return failed(
            f"{step}, the training batch itself holds {found.batch_nonfinite} NaN/Inf value(s) in its inputs or "
            "targets: rows past the batches checked at init (ND102) are broken",
            evidence,
            fix=(
                "Find and clean the non-finite rows of the training data (e.g. `torch.isfinite(x).all(dim=1)` over "
                "the whole dataset, or `df.isna().any(axis=1)`): impute, drop them, or fix the preprocessing that "
                "produced them (a division by a zero std, a log of 0)."
            ),
        )
    stats = found.forward
    largest = _largest_activation(stats) if stats is not None else math.nan
    if math.isfinite(largest):
        evidence["largest_activation"] = _fmt(largest)
    if found.where in ("forward", "loss", "gradient") and largest > limits.grown_activation:
        return passed(
            f"{at_init}; the NaN/Inf {step} came after activations grew to {largest:.3g} (past "
            f"{limits.grown_activation:g}): the weights grew too fast, which ND404 and ND303 judge",
            evidence,
        )
    if found.where == "forward" and stats is not None:
        culprit = stats.first_nonfinite
        if culprit is not None:
            evidence.update(module=culprit.name, kind=culprit.kind, nonfinite_values=culprit.nonfinite)
            return failed(
                f"{step}, NaN/Inf first appears in the output of {culprit.name} ({culprit.kind}) from finite "
                f"inputs ({culprit.nonfinite} values); its weights were still finite",
                evidence,
            )
        after = next((s for s in stats.sites if s.input_nonfinite), None)
        place = f"before {after.name}" if after is not None else "after the last module"
        return failed(
            f"{step}, NaN/Inf first appears in code between modules ({place}: a functional operation in "
            "a forward() method); the weights were still finite",
            evidence,
        )
    if found.where == "loss":
        low = stats.output_min if stats is not None else math.nan
        high = stats.output_max if stats is not None else math.nan
        evidence.update(output_min=_fmt(low), output_max=_fmt(high), loss=_nonfinite_name(found.loss))
        return failed(
            f"{step}, the loss became {_nonfinite_name(found.loss)} from finite model outputs (in [{low:.3g}, {high:.3g}]): "
            "the loss computation is not safe for outputs of this size",
            evidence,
            fix=(
                "Compute the loss from logits in a stable form: BCEWithLogitsLoss or F.logsigmoid instead of "
                "log(sigmoid(x)) and log(1 - sigmoid(x)), cross_entropy or log_softmax instead of log(softmax(x)); "
                "clamp what goes into log, sqrt and divisions (e.g. `x.clamp_min(1e-8)`)."
            ),
        )
    if found.where == "gradient":
        evidence.update(gradient_nonfinite_at=found.grad_modules[:10], parameters=found.grad_params[:10])
        where = (
            f"at the output of {found.grad_modules[0]} (in the backward pass of what comes after it)"
            if found.grad_modules
            else f"in the gradient of {found.grad_params[0]}"
        )
        return failed(
            f"{step}, the loss was finite ({found.loss:.4g}) but its gradient became NaN/Inf {where}: "
            "an operation whose derivative is infinite at the value it met (sqrt or a norm at 0, pow with "
            "a fractional exponent, acos/asin at +-1)",
            evidence,
            fix=(
                "Guard the operation whose derivative blows up: sqrt(x + eps) or clamp_min before sqrt, a norm "
                "with an epsilon, clamp inputs of acos/asin inside (-1, 1); then re-run nndoctor."
            ),
        )
    evidence.update(parameters=found.bad_weights[:10])
    return failed(
        f"{step}, the optimizer update turned {len(found.bad_weights)} parameter(s) non-finite (first "
        f"{found.bad_weights[0]}) from finite gradients: the update overflowed or divided by zero",
        evidence,
        fix=(
            "Check the optimizer's settings: an eps of 0 in Adam-like optimizers divides by zero where a "
            "gradient is 0, and an enormous learning rate overflows; use the defaults and confirm with "
            "`nndoctor lr-find`."
        ),
    )
