"""ND1xx: the data, the loss and the architecture, before any training."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from nndoctor.check import Skip, Thresholds, Verdict, check, failed, passed, warned

# what a loss that does not measure the task (ND103's newer verdicts) spoils downstream
TRAINING_CONSEQUENCES = ("ND201", "ND402", "ND403", "ND404", "ND405")

if TYPE_CHECKING:
    from nndoctor.probes.backward import BackwardStats
    from nndoctor.probes.data import DataStats, IdFeatures
    from nndoctor.probes.forward import ForwardStats
    from nndoctor.probes.head import OutputHead
    from nndoctor.probes.modes import BatchNormLayers, ModeStats
    from nndoctor.setup import Setup


@check(
    "ND101",
    "unnormalized-inputs",
    "Inputs are zero-centred and unit-scaled",
    cost="static",
    thresholds={
        "max_rms": 5.0,
        "min_rms": 0.01,
        "max_scale_spread": 100.0,
        "extreme_rms": 20.0,
        "extreme_scale_spread": 1000.0,
        "max_offset": 20.0,
    },
    explains=("ND201", "ND203", "ND301", "ND303", "ND402", "ND403", "ND404", "ND405"),
    confirmed_by=("ND201", "ND203", "ND402", "ND404", "ND405"),
)
def input_normalization(data_stats: DataStats, limits: Thresholds, id_features: IdFeatures | None = None) -> Verdict:
    """Look at the per-feature statistics of the training inputs.

    What it checks:
    The root-mean-square of the inputs over a few batches, how much the per-feature (per
    channel, for images) standard deviations differ between features, and how far a typical
    feature's mean sits from zero in units of its own standard deviation (`max_offset`).

    Why it matters:
    Networks train best on inputs centred at zero with unit variance. Large raw values (pixels in
    0..255, prices in dollars) make the first layer's pre-activations huge, so a tiny weight change
    flips predictions and the loss surface is badly conditioned; features on very different scales
    make one learning rate too big for some weights and too small for others.

    Evidence:
    Input RMS, the range of per-feature means and standard deviations, and the ratio between the
    largest and the median non-zero feature standard deviation.

    How to fix:
    Standardize each input feature with the training set's mean and standard deviation (for
    images, per channel), and apply the same transform to validation and test data.

    Inputs somewhat off the unit scale often train fine, so a mild deviation is reported as a
    warning only when a training experiment shows a consequence (initial loss, activations, the
    tiny-subset fit, the short run); a deviation beyond `extreme_rms` or `extreme_scale_spread`
    (raw 0..255 pixels, prices in dollars next to ratios) is reported on its own.

    Columns of whole numbers that the model reads only through an integer cast (category ids
    packed into a float tensor beside the features, `x[:, :3].long()` into embeddings) are left
    out: adding a fraction to them leaves the output unchanged, which a scaled feature never does.
    """
    if data_stats.samples == 0:
        raise Skip("no input and target tensors could be found in the batches")
    if not data_stats.input_float:
        raise Skip("the inputs are integer ids (e.g. tokens), not features to normalize")
    ids = set(id_features.ids) if id_features is not None else set()
    kept = [i for i in range(len(data_stats.feature_std)) if i not in ids]
    if ids and not kept:
        raise Skip("every input column is a category id the model reads through an integer cast")
    stds = [s for i in kept if (s := data_stats.feature_std[i]) > 0 and math.isfinite(s)]
    means = [data_stats.feature_mean[i] for i in kept] if ids else data_stats.feature_mean
    median_std = sorted(stds)[len(stds) // 2] if stds else 0.0
    spread = max(stds) / median_std if median_std > 0 else 1.0
    evidence = {
        "input_rms": data_stats.input_rms,
        "feature_mean_range": [min(means), max(means)] if means else [],
        "feature_std_range": [min(stds), max(stds)] if stds else [],
        "scale_spread": spread,
        "constant_features": sum(1 for s in data_stats.feature_std if s == 0),
        "features": len(data_stats.feature_std),
    }
    rms = data_stats.input_rms
    if ids:
        # the per-feature mean square is mean^2 + variance; the columns weigh equally in the RMS
        squares = [data_stats.feature_mean[i] ** 2 + data_stats.feature_std[i] ** 2 for i in kept]
        rms = math.sqrt(sum(squares) / len(squares))
        evidence["input_rms"] = rms
        evidence["id_columns"] = sorted(ids)
    if rms > limits.max_rms:
        return warned(
            f"inputs are large: RMS {rms:.3g} (features' means up to {max(abs(m) for m in means):.3g}); expected about 1",
            evidence,
            extreme=rms > limits.extreme_rms,
        )
    if 0 < rms < limits.min_rms:
        return warned(f"inputs are tiny: RMS {rms:.3g}; expected about 1", evidence, extreme=rms < limits.min_rms / 10)
    if spread > limits.max_scale_spread:
        return warned(
            f"features are on very different scales: the widest has {spread:.0f}x the median "
            "feature's standard deviation",
            evidence,
            extreme=spread > limits.extreme_scale_spread,
        )
    # a mean far from zero against the feature's own spread: [0, 1] pixels normalized with 0..255
    # statistics sit in a narrow band near -1, which an RMS of ~1 does not show
    offsets = sorted(
        abs(data_stats.feature_mean[i]) / data_stats.feature_std[i]
        for i in kept
        if data_stats.feature_std[i] > 0 and math.isfinite(data_stats.feature_std[i])
    )
    offset = offsets[len(offsets) // 2] if offsets else 0.0
    evidence["median_offset"] = offset
    if offset > limits.max_offset:
        return warned(
            f"inputs are not centred: a typical feature's mean is {offset:.0f}x its standard deviation (means "
            f"{min(means):.3g}..{max(means):.3g}, standard deviations {min(stds):.3g}..{max(stds):.3g}), so the "
            "inputs sit in a narrow band away from zero and the first layer sees nearly the same input every time",
            evidence,
            fix="Standardize with the statistics of the data as it reaches the model: after ToTensor() images are in "
            "[0, 1], so normalize with means and stds in that range (e.g. 0.5, 0.25), not 127.5 and 128.",
        )
    note = f" (columns {', '.join(map(str, sorted(ids)))} are ids the model casts to integers, left out)" if ids else ""
    return passed(f"inputs look normalized: RMS {rms:.3g}, scale spread {spread:.1f}x{note}", evidence)


@check(
    "ND102",
    "bad-data",
    "Inputs and targets are finite and labels fit the output",
    cost="static",
    thresholds={"max_class_imbalance": 20.0},
    explains=("ND101", "ND201", "ND204", "ND401", "ND402", "ND403", "ND404", "ND405"),
)
def data_sanity(data_stats: DataStats, setup: Setup, limits: Thresholds) -> Verdict:
    """Sanity of the data itself.

    What it checks:
    NaN or Inf in inputs or targets; class labels outside the range the output can predict (or
    outside {0, 1} for binary losses), or floating-point labels a class-index loss refuses;
    targets that never change; strong class imbalance, read together with the class weights the
    loss was given (weights that grow with class frequency amplify it and warn; weights that
    bring the weighted ratio under the limit compensate it).

    Why it matters:
    A single NaN in the data turns the loss into NaN; labels outside [0, C) crash cross-entropy
    on the GPU with an opaque device-side assert or silently train the wrong classes; constant
    targets leave nothing to learn; a heavily imbalanced set lets the model reach a good loss by
    always predicting the majority class. Imbalance is judged on one label per sample only: labels
    per position (a language model's next tokens, a segmentation mask's pixels) follow the data's
    own frequencies, which no sampler can balance.

    Evidence:
    Non-finite counts, target min/max, distinct labels and their counts, the number of outputs.

    How to fix:
    Clean or impute non-finite values before training; map labels to 0..C-1 and make the final
    layer C wide; check that the target column is the intended one; for imbalance, use class
    weights in the loss or a weighted sampler, and judge the model by per-class metrics.
    """
    task = setup.task
    evidence: dict[str, object] = {
        "input_nonfinite": data_stats.input_nonfinite,
        "target_nonfinite": data_stats.target_nonfinite,
        "target_min": data_stats.target_min,
        "target_max": data_stats.target_max,
        "task": task.kind,
        "num_classes": task.num_classes,
    }
    if data_stats.samples == 0:
        raise Skip("no input and target tensors could be found in the batches")
    if data_stats.input_nonfinite or data_stats.target_nonfinite:
        return failed(
            f"the data holds non-finite values: {data_stats.input_nonfinite} in inputs, "
            f"{data_stats.target_nonfinite} in targets (over {data_stats.samples} samples)",
            evidence,
        )
    if setup.blocked and setup.blocked_by == "ND102":
        return failed(
            setup.blocked,
            evidence,
            fix=setup.blocked_fix
            or "Map the labels to 0..C-1 (e.g. subtract 1 from 1-based labels) or widen the final layer "
            "to the true number of classes.",
        )
    from nndoctor.setup import ignored_label  # torch: imported when a check runs, not for the catalogue

    counts = data_stats.class_counts
    ignored = ignored_label(setup.loss_fn)
    if ignored is not None and ignored in counts:  # padding labels the loss leaves out, not a class
        evidence["ignored_labels"] = {str(ignored): counts[ignored]}
        counts = {k: v for k, v in counts.items() if k != ignored}
    if setup.ignored_class is not None:
        label, share = setup.ignored_class
        return warned(
            f"the loss's ignore_index ({label}) is a class the model predicts: label {label} is {share:.0%} of the "
            "targets and sits between other labels inside the sequences, not as padding at their ends, so the loss "
            f"never trains the model on it and the model cannot learn to predict {label}",
            {**evidence, "ignore_index": label, "ignored_share": round(share, 4)},
            fix=f"If {label} is a real class (an 'O' tag, a background), leave ignore_index at its default (-100) and "
            "mark only padding with -100; if it is padding, pad with a value that is no class.",
        )
    if task.kind == "classification" and counts and task.num_classes and not data_stats.target_float:
        evidence["class_counts"] = {str(k): v for k, v in counts.items()}
        low, high = min(counts), max(counts)
        if low < 0 or high >= task.num_classes:
            return failed(
                f"class labels run from {low} to {high} but the output has {task.num_classes} "
                f"classes (valid labels 0..{task.num_classes - 1})",
                evidence,
                fix="Map the labels to 0..C-1 (e.g. subtract 1 from 1-based labels) or widen the "
                "final layer to the true number of classes.",
            )
    if task.kind in ("binary", "multilabel") and (data_stats.target_min < 0 or data_stats.target_max > 1):
        return failed(
            f"binary targets must lie in [0, 1] but run from {data_stats.target_min:.3g} to "
            f"{data_stats.target_max:.3g}",
            evidence,
        )
    if data_stats.target_var == 0 and setup.targets_unread:
        return passed(
            f"the targets are constant ({data_stats.target_min:.3g}), and the loss gives the same value with other "
            "targets: a placeholder the loss does not read (it scores the outputs alone), not labels to learn",
            {**evidence, "targets_unread": True},
        )
    if data_stats.target_var == 0:
        return warned(
            f"the targets are constant ({data_stats.target_min:.3g}) across "
            f"{data_stats.samples} sampled training examples: there is nothing to learn",
            evidence,
            fix="Check that the target column/labels are the intended ones and that the loader "
            "shuffles (a sorted dataset can put one class first).",
        )
    # one label per position (tokens of a language model, pixels of a segmentation mask) follows the
    # data's own frequencies (a few tokens or the background dominate): only per-sample labels can be
    # balanced by the user, so only they are judged
    if task.kind == "classification" and len(counts) > 1:
        ratio = max(counts.values()) / min(counts.values())
        labels = sum(counts.values())
        evidence["imbalance_ratio"] = ratio
        evidence["labels_per_sample"] = labels / max(data_stats.samples, 1)
        from nndoctor.loss_calls import class_weights

        weights = class_weights(setup.loss_calls)
        weighting = _weighting(counts, weights) if weights is not None else None
        per_sample = labels <= data_stats.samples
        if weighting is not None and per_sample:
            evidence["class_weights"] = list(weights or ())
            evidence["weight_frequency_correlation"] = round(weighting[0], 3)
            evidence["weighted_imbalance_ratio"] = weighting[1]
        if weighting is not None and per_sample and weighting[0] >= 0.8 and weighting[1] > limits.max_class_imbalance:
            return warned(
                f"the loss's class weights grow with class frequency (correlation {weighting[0]:+.2f} with the "
                f"label counts): they amplify the imbalance instead of correcting it, so the most frequent class "
                f"weighs {weighting[1]:.0f}x the rarest in the loss (the labels alone: {ratio:.0f}x)",
                evidence,
                fix="Weight each class by the inverse of its frequency (e.g. `weight = counts.sum() / (len(counts) * "
                "counts)`), not by the frequency itself.",
            )
        if ratio > limits.max_class_imbalance and per_sample:
            if weighting is not None and weighting[1] <= limits.max_class_imbalance:
                return passed(
                    f"classes are imbalanced ({ratio:.0f}x between the most frequent label and the rarest), and the "
                    f"loss's class weights compensate: weighted, the ratio is {weighting[1]:.1f}x",
                    evidence,
                )
            return warned(
                f"classes are imbalanced: the most frequent label is {ratio:.0f}x as common as "
                "the rarest in the sampled batches",
                evidence,
            )
    return passed(f"{data_stats.samples} samples in {data_stats.batches} batches: finite, labels in range", evidence)


def _normalized_over_batch(stats: ForwardStats, tol: float) -> str | None:
    """'softmax' / 'log_softmax' when the output sums (or log-sum-exps) to one over the batch
    dimension but not over the classes, else None."""
    if stats.output_min >= 0 and stats.output_col_sum_dev < tol and stats.output_row_sum_dev > 10 * tol:
        return "softmax"
    if stats.output_max <= tol and stats.output_col_logsumexp_dev < tol and stats.output_logsumexp_dev > 10 * tol:
        return "log_softmax"
    return None


def _weighting(counts: dict[int, int], weights: tuple[float, ...]) -> tuple[float, float] | None:
    """(rank correlation of the class weights with the label counts, the imbalance ratio of the
    weighted counts) over the classes seen, or None when the weights do not cover them."""
    classes = sorted(c for c in counts if 0 <= c < len(weights))
    if len(classes) < 2 or len(classes) < len(counts):
        return None
    shares = [counts[c] for c in classes]
    values = [weights[c] for c in classes]
    weighted = [n * w for n, w in zip(shares, values, strict=True)]
    if min(weighted) <= 0:
        return None

    def ranks(xs: list[float]) -> list[float]:
        order = sorted(range(len(xs)), key=lambda i: xs[i])
        out = [0.0] * len(xs)
        for rank, i in enumerate(order):
            out[i] = float(rank)
        return out

    a, b = ranks([float(x) for x in shares]), ranks(values)
    mean = (len(a) - 1) / 2
    num = sum((x - mean) * (y - mean) for x, y in zip(a, b, strict=True))
    den = math.sqrt(sum((x - mean) ** 2 for x in a) * sum((y - mean) ** 2 for y in b))
    correlation = num / den if den > 0 else 0.0
    return correlation, max(weighted) / min(weighted)


@check(
    "ND103",
    "loss-output-mismatch",
    "The loss fits what the model outputs and the targets",
    cost="forward",
    thresholds={"probability_tolerance": 1e-3},
    explains=("ND201", "ND301", "ND402", "ND403", "ND404", "ND405"),
)
def loss_output_pairing(
    setup: Setup,
    data_stats: DataStats,
    limits: Thresholds,
    init_forward: ForwardStats | None = None,
    output_head: OutputHead | None = None,
) -> Verdict:
    """The classic loss/output pairing bugs.

    What it checks:
    Probabilities (softmax or sigmoid outputs) fed to a loss that expects logits
    (CrossEntropyLoss, BCEWithLogitsLoss; per-class sigmoids into CrossEntropyLoss cap the right
    class's probability at e / (e + C - 1)); NLLLoss fed something that is not log-probabilities,
    and a negative initial NLL/cross-entropy loss, which no valid setup produces; an element-wise
    loss (MSE, L1, BCE) whose output and target shapes differ and broadcast; a regression loss
    (MSE, L1) comparing softmax probabilities with one-hot class targets (on logits it is noted,
    not warned: it trains); a regression loss trained on what look like class labels; a
    class-normalizing loss (CrossEntropyLoss, NLLLoss) on a single output unit; a softmax or
    log_softmax taken over the batch dimension (the output sums to 1 over the samples, not over
    the classes) before such a loss; a ReLU (or ReLU6) on the logits before CrossEntropyLoss or
    BCEWithLogitsLoss. Inside any loss,
    including a wrapper of the user's own, the `torch.nn.functional` losses it calls on the first
    batch are read against their argument conventions: KL divergence given probabilities or raw
    scores instead of log-probabilities (or a log-probability target without log_target=True);
    the sign-label losses (CosineEmbedding, MarginRanking, HingeEmbedding, SoftMargin) given 0/1
    labels instead of -1/+1; PoissonNLLLoss(log_input=False) given negative rates; and, in a
    wrapper nndoctor cannot otherwise identify, binary cross-entropy targets outside [0, 1], NLL
    on inputs that are not log-probabilities, and cross-entropy on probabilities.

    Why it matters:
    CrossEntropyLoss applies log-softmax itself: feeding it probabilities squashes the logits
    into [0, 1] so gradients are tiny and training stalls. NLLLoss only picks out -input[target]:
    fed probabilities it rewards them towards 1 linearly (a negative loss, -1 at best) instead of
    penalizing confident mistakes without bound. MSE between shapes [N, 1] and [N] broadcasts to
    [N, N] and optimizes the wrong quantity without an error. MSE on class indices imposes an order
    on the classes; MSE on softmax probabilities has flat regions where a confidently wrong output
    gets almost no gradient, so training stalls far from the optimum.

    Evidence:
    The identified loss, output range, how far output rows are from summing to 1 (probabilities)
    or from log-sum-exp 0 (log-probabilities), the output and target shapes, the initial loss, and
    the share of target rows that are one-hot.

    How to fix:
    Return raw logits from the model and let CrossEntropyLoss / BCEWithLogitsLoss apply the
    softmax or sigmoid (apply it yourself only at inference); use log_softmax with NLLLoss; make
    output and target shapes identical (e.g. `target.view_as(output)`); for classes, use a C-wide
    output of logits with CrossEntropyLoss on class indices (targets.argmax(dim=1) for one-hot).
    """
    task = setup.task
    loss = task.loss_kind
    if setup.blocked_by == "ND103" and setup.blocked:  # the loss refused the output: nothing else ran
        return failed(setup.blocked, {"loss": setup.loss_name}, fix=setup.blocked_fix)
    if init_forward is None or output_head is None:
        raise Skip("the forward pass at init did not run (see the skipped init checks)")
    evidence = {
        "loss": setup.loss_name,
        "identified_as": loss,
        "output_shape": list(task.output_shape),
        "target_shape": list(task.target_shape),
        "output_range": [init_forward.output_min, init_forward.output_max],
    }
    from nndoctor.loss_calls import convention_problem  # torch: imported when a check runs

    problem = convention_problem(setup.loss_calls, identified=loss is not None)
    if problem is not None:
        calls = sorted({call.name for call in setup.loss_calls})
        return failed(
            problem[0], {"functional_losses": calls, **evidence}, fix=problem[1], explains=TRAINING_CONSEQUENCES
        )
    if loss is None:
        raise Skip(f"the loss ({setup.loss_name}) is not a standard loss nndoctor can identify")
    if init_forward.output_nonfinite:
        raise Skip("the model output is non-finite at init, so its range says nothing (see ND204)")
    tol = limits.probability_tolerance
    non_negative = init_forward.output_min >= 0
    initial = init_forward.mean_loss
    shape = list(task.output_shape)
    if loss in ("nll", "cross_entropy") and len(shape) >= 2 and shape[1] == 1:
        constant = loss == "cross_entropy"
        return failed(
            f"the model has one output unit per sample but {setup.loss_name} normalizes over the class dimension: "
            + (
                "log-softmax over a single class is always 0, so the loss is 0 from the start and no weight ever "
                "gets a gradient"
                if constant
                else "with one class the only valid target is 0 and the loss is just minus the raw output, which "
                "falls forever without learning anything"
            ),
            {"initial_loss": initial, **evidence},
            fix="For two classes keep the single logit and use BCEWithLogitsLoss with float 0/1 targets of the same "
            "shape; for C classes make the last layer C wide and keep the loss on class indices.",
            explains=(*TRAINING_CONSEQUENCES, "ND302"),
        )
    batch_axis = _normalized_over_batch(init_forward, tol) if loss in ("nll", "cross_entropy") else None
    if batch_axis is not None:
        return failed(
            f"the model's {batch_axis} is taken over the batch dimension (dim 0): each class's values are "
            f"normalized across the samples of the batch instead of each sample's across its classes, so "
            f"{setup.loss_name} trains on scores that depend on the other samples in the batch",
            {
                "column_sum_deviation": init_forward.output_col_sum_dev,
                "row_sum_deviation": init_forward.output_row_sum_dev,
                **evidence,
            },
            fix="Normalize over the classes: `softmax(logits, dim=1)` / `log_softmax(logits, dim=1)` (or dim=-1); "
            "better, return the logits and let nn.CrossEntropyLoss apply log_softmax itself.",
            explains=(*TRAINING_CONSEQUENCES, "ND304"),
        )
    if loss in ("nll", "cross_entropy") and math.isfinite(initial) and initial < 0:
        probabilities = non_negative and init_forward.output_row_sum_dev < tol
        why = (
            "probabilities where log-probabilities belong: the loss then rewards the picked probability "
            "linearly (-1 at best) instead of its log, so confident mistakes cost almost nothing"
            if probabilities
            else "raw scores where log-probabilities belong: the loss is unbounded below and falls forever by "
            "inflating the picked score"
        )
        return failed(
            f"the initial {setup.loss_name} is negative ({initial:.4g}), which no valid setup can produce: the model "
            f"feeds it {why}",
            {"initial_loss": initial, "row_sum_deviation": init_forward.output_row_sum_dev, **evidence},
            fix="End the model with log_softmax (nn.LogSoftmax(dim=1)) for NLLLoss, or return logits and use "
            "CrossEntropyLoss, which applies log_softmax itself.",
            explains=TRAINING_CONSEQUENCES,
        )
    if loss == "cross_entropy" and non_negative and init_forward.output_row_sum_dev < tol:
        return failed(
            "the model outputs probabilities (non-negative rows summing to 1) but "
            "CrossEntropyLoss expects raw logits: softmax is applied twice",
            {"row_sum_deviation": init_forward.output_row_sum_dev, **evidence},
            fix="Remove the final Softmax from the model and pass logits to CrossEntropyLoss.",
        )
    if loss == "nll" and init_forward.output_logsumexp_dev > 10 * tol:
        return failed(
            "NLLLoss expects log-probabilities but the outputs are not log-softmax normalized "
            f"(row log-sum-exp is up to {init_forward.output_logsumexp_dev:.3g} away from 0)",
            evidence,
            fix="Apply log_softmax as the model's last step, or switch to CrossEntropyLoss on logits.",
        )
    # a sigmoid after the last layer, or the output's own op read off the autograd graph (a model
    # with no Linear layer at all, such as a dot-product recommender, squashes with torch.sigmoid)
    squashed = init_forward.squashed_after_last_layer or output_head.op in ("Sigmoid", "Hardsigmoid")
    if loss == "bce_with_logits" and non_negative and init_forward.output_max <= 1 and squashed:
        return failed(
            "the outputs are confined to [0, 1] (a sigmoid or similar at the end) but "
            "BCEWithLogitsLoss expects logits: the sigmoid is applied twice",
            evidence,
            fix="Remove the final Sigmoid from the model; BCEWithLogitsLoss applies it, stably.",
        )
    # a sigmoid itself, not any op after the last layer: a ReLU + pooling head also ends in [0, 1] at init
    sigmoid = output_head.op in ("Sigmoid", "Hardsigmoid") or init_forward.sigmoid_after_last_layer
    if loss == "cross_entropy" and non_negative and init_forward.output_max <= 1 and sigmoid:
        classes = task.output_shape[1] if len(task.output_shape) >= 2 else 0
        ceiling = math.e / (math.e + classes - 1) if classes >= 2 else None
        limit = f": the right class's probability can never exceed {ceiling:.2f} ({classes} classes)" if ceiling else ""
        return failed(
            "the outputs are confined to [0, 1] (a sigmoid or similar at the end) but CrossEntropyLoss expects raw "
            f"logits: its softmax sees scores that differ by at most 1{limit}, so the loss cannot fall far and the "
            "gradients stay small",
            {"probability_ceiling": ceiling, **evidence},
            fix="Remove the final Sigmoid and pass the last layer's logits to CrossEntropyLoss, which applies "
            "log_softmax itself.",
        )
    rectified = output_head.op in ("Relu", "Hardtanh") and output_head.low >= 0 and not sigmoid
    if loss in ("cross_entropy", "bce_with_logits") and rectified:
        return warned(
            f"the logits pass through a {output_head.module_kind or output_head.op} (outputs >= 0) before "
            f"{setup.loss_name}, which expects raw logits: a class's score can never go below 0, so the model can only "
            "push the wrong classes down to 0, and a score the ReLU cuts to 0 gets no gradient at all",
            {"output_op": output_head.op, "output_module": output_head.module, **evidence},
            fix="Remove the activation after the last layer and pass its raw output to the loss.",
            explains=TRAINING_CONSEQUENCES,
        )
    elementwise = loss in ("mse", "l1", "smooth_l1", "huber", "bce", "bce_with_logits")
    if elementwise and task.output_shape != task.target_shape:
        try:
            import torch

            broadcast = list(torch.broadcast_shapes(task.output_shape, task.target_shape))
        except RuntimeError:
            broadcast = None
        return failed(
            f"{setup.loss_name} compares output {list(task.output_shape)} with target "
            f"{list(task.target_shape)}"
            + (f": they broadcast to {broadcast}, so every output is compared with every target" if broadcast else ""),
            {"broadcast_shape": broadcast, **evidence},
            fix="Make the shapes identical, e.g. `loss(output.squeeze(-1), target)` or "
            "`loss(output, target.view_as(output))`.",
        )
    counts = data_stats.class_counts
    regression_loss = loss in ("mse", "l1", "smooth_l1", "huber")
    onehot = output_head.onehot_rows
    declared_regression = task.hinted and task.kind == "regression"
    width = task.output_shape[1] if len(task.output_shape) == 2 else 0
    if regression_loss and not declared_regression and onehot is not None and onehot >= 0.99 and width >= 2:
        one_hot_evidence = {"onehot_rows": onehot, "row_sum_deviation": init_forward.output_row_sum_dev, **evidence}
        if non_negative and init_forward.output_row_sum_dev < tol:
            return warned(
                f"{setup.loss_name} compares softmax probabilities with one-hot class targets ({width} classes): "
                "where the model is confidently wrong the softmax saturates and the gradient nearly vanishes, so "
                "training is slow and can stall short of what cross-entropy reaches",
                one_hot_evidence,
                fix="Remove the final Softmax and train the logits with CrossEntropyLoss on class indices "
                "(`loss(logits, targets.argmax(dim=1))`); apply softmax only to read probabilities.",
                explains=TRAINING_CONSEQUENCES,
            )
        return passed(
            f"note: {setup.loss_name} on logits against one-hot class targets ({width} classes) is a valid, if "
            "unusual, classifier loss; CrossEntropyLoss on class indices is the standard choice",
            one_hot_evidence,
        )
    label_like = (
        data_stats.target_integer_valued and 3 <= len(counts) <= 50 and sorted(counts) == list(range(len(counts)))
    )
    looks_like_labels = regression_loss and not declared_regression and (task.kind == "classification" or label_like)
    if looks_like_labels:
        return warned(
            f"{setup.loss_name} is trained on targets that look like class labels "
            f"({len(counts)} distinct integers 0..{len(counts) - 1})",
            {"distinct_targets": len(counts), **evidence},
            fix="For classes, use a C-wide output with CrossEntropyLoss; if the targets are a real "
            "quantity, set NNDOCTOR = {'task': 'regression'} in the recipe to silence this.",
        )
    return passed(f"{setup.loss_name} fits the output {list(task.output_shape)} and the targets", evidence)


@check(
    "ND104",
    "risky-architecture",
    "No architecture choices known to make training hard",
    cost="backward",
    thresholds={
        "max_plain_depth": 20,
        "min_depth_saturating": 5,
        "min_saturating_layers": 4,
        "extreme_saturating_layers": 8,
        "extreme_plain_depth": 50,
    },
    explains=("ND203", "ND301", "ND402", "ND403", "ND404", "ND405"),
    confirmed_by=("ND203", "ND301", "ND402", "ND404"),
)
def architecture_advice(init_forward: ForwardStats, init_backward: BackwardStats, limits: Thresholds) -> Verdict:
    """Architecture patterns that make networks hard to train.

    What it checks:
    Sigmoid or tanh activations in the hidden layers of a deep network; plain networks (no skip
    connections anywhere on the path from input to loss) deeper than about 20 weighted layers; a
    network of two or more weighted layers that is linear end to end (no activation between
    them, read off the autograd graph from the input to the output).
    Also noted, without a warning: a bias right before BatchNorm and dropout right after a
    convolution.

    Why it matters:
    Sigmoid and tanh saturate, and their derivative is at most 0.25 (sigmoid) or 1 (tanh), so
    gradients shrink layer after layer; sigmoid outputs are also not zero-centred. Plain
    networks deeper than 20-30 layers are hard to optimize even with good initialization and
    batch norm; residual connections give the signal a short path. A bias before BatchNorm is
    subtracted by the normalization and wasted.

    Evidence:
    Weighted depth along the longest and the shortest path through the autograd graph, the
    saturating hidden activations, and the notes.

    How to fix:
    Use ReLU-family activations (ReLU, LeakyReLU, GELU) in hidden layers, keeping sigmoid only
    for a final probability; add residual (skip) connections and normalization to very deep
    networks; set bias=False on layers followed by BatchNorm.

    This is architecture advice, a rule of thumb: it warns only when the experiments show the
    consequence (unstable activations, vanishing gradients, a tiny subset that cannot be fitted,
    a flat loss), or when the pattern is extreme (`extreme_saturating_layers` saturating layers in
    a row, a plain net deeper than `extreme_plain_depth`); otherwise it is a note on a pass. A
    single tanh or sigmoid (a pooler) is not counted as a risk, nor is a gate: a sigmoid or tanh
    whose output the autograd graph shows only multiplying another tensor (squeeze-and-excitation,
    gated units), since the main path's gradient does not pass through its derivative.
    """
    sites = init_forward.sites
    last_weighted = max((s.order for s in sites if s.weighted), default=-1)
    gates = set(init_backward.gates)
    hidden = [s for s in sites if s.kind in ("Sigmoid", "Tanh") and s.order < last_weighted]
    saturating = [s for s in hidden if s.module_name not in gates]
    notes = []
    for before, after in itertools.pairwise(sites):
        if before.weighted and before.bias and after.kind.startswith("BatchNorm"):
            notes.append(f"{before.name} has a bias feeding {after.name}: BatchNorm cancels it")
        if before.kind.startswith("Conv") and after.kind == "Dropout":
            notes.append(
                f"{after.name} drops single activations after {before.name}; Dropout2d or none is usual in conv blocks"
            )
    evidence = {
        "depth_longest_path": init_backward.depth_longest,
        "depth_shortest_path": init_backward.depth_shortest,
        "saturating_hidden": [s.name for s in saturating],
        "gates_not_counted": [s.name for s in hidden if s not in saturating],
        "notes": notes,
    }
    traced = init_backward.depth_longest is not None
    depth = (
        init_backward.depth_longest if init_backward.depth_longest is not None else sum(1 for s in sites if s.weighted)
    )
    # one tanh (a pooler, a gate) costs little; the harm compounds over several in a row
    if len(saturating) >= limits.min_saturating_layers and depth >= limits.min_depth_saturating:
        kinds = sorted({s.kind for s in saturating})
        return warned(
            f"{len(saturating)} hidden {'/'.join(kinds)} activation(s) in a network {depth} "
            "weighted layers deep: gradients shrink through each saturating layer",
            evidence,
            fix="Use ReLU-family activations (ReLU, LeakyReLU, GELU) in the hidden layers; keep sigmoid/tanh for "
            "outputs and gates, or put a normalization layer before each of them.",
            extreme=len(saturating) >= limits.extreme_saturating_layers,
        )
    if init_backward.linear and depth >= 2:
        return warned(
            f"the network is linear: its {depth} weighted layers have no activation between them, so they compose to "
            "a single linear map and the hidden layers add nothing a linear model could not do",
            {**evidence, "linear": True},
            fix="Put a nonlinearity (nn.ReLU(), nn.GELU()) after every hidden layer, not only after the last one.",
        )
    if traced and depth > limits.max_plain_depth and init_backward.depth_shortest == depth:
        return warned(
            f"a plain network {depth} weighted layers deep with no skip connections",
            evidence,
            fix="Add residual connections (x + f(x)) every few layers, with normalization, or make the network shallower.",
            extreme=depth > limits.extreme_plain_depth,
        )
    return passed(
        f"depth {depth}"
        + (f" (shortest path {init_backward.depth_shortest})" if traced else "")
        + "; no risky pattern"
        + (f"; {len(notes)} note(s)" if notes else ""),
        evidence,
    )


@check(
    "ND105",
    "batchnorm-small-batch",
    "Batch norm gets batches large enough for stable statistics",
    cost="forward",
    thresholds={"min_batch": 16, "min_batch_spatial": 8},
    explains=("ND404", "ND405"),
    confirmed_by=("ND402", "ND404", "ND405"),
)
def batchnorm_batch_size(
    batchnorm_layers: BatchNormLayers, setup: Setup, data_stats: DataStats, limits: Thresholds
) -> Verdict:
    """Batch normalization with small training batches.

    What it checks:
    When the model has BatchNorm layers: the training batch size, whether the loader's last
    batch of an epoch holds a single sample, and whether a layer's running statistics can move at
    all (momentum=0 freezes them at mean 0, variance 1: what evaluation then normalizes with).

    Why it matters:
    BatchNorm normalizes with the statistics of the current batch. With few samples those
    statistics are noisy, the running averages used at test time disagree with what training
    saw, and accuracy drops. A batch of one sample makes BatchNorm1d raise an error in training
    (and BatchNorm2d normalize a single image), which often appears only at the end of the first
    epoch when the last, partial batch arrives.

    Evidence:
    Batch size, the BatchNorm layers, dataset size and the size of the last batch.

    How to fix:
    Use batches of at least 16 (8 for images with many spatial positions), or replace
    BatchNorm with GroupNorm or LayerNorm, which do not depend on the batch. Set drop_last=True
    on the training DataLoader when the dataset size leaves a final batch of one.

    A batch of one is a failure. When BatchNorm refuses the first training batch outright (one
    value per channel), that batch runs once in eval mode only to learn what the model outputs;
    the experiments that train skip, pointing here. A small batch (below the floor) warns only
    when training shows the noise (a tiny subset that cannot be fitted, an unsteady loss, a
    train/val gap) or when the batch is tiny (a quarter of the floor or less); otherwise it is a
    note on a pass.
    """
    norms = batchnorm_layers.names
    if not norms:
        raise Skip("the model has no BatchNorm layers")
    batch = setup.batch_size or 0
    spatial = any(batchnorm_layers.spatial)
    evidence: dict[str, object] = {"batch_size": batch, "batchnorm_layers": norms}
    if setup.blocked_by == "ND105" and setup.blocked:
        return failed(setup.blocked, evidence, fix=setup.blocked_fix)
    last = None
    if data_stats.dataset_size and data_stats.loader_batch_size and not data_stats.drop_last:
        last = data_stats.dataset_size % data_stats.loader_batch_size
        evidence["dataset_size"] = data_stats.dataset_size
        evidence["last_batch_size"] = last or data_stats.loader_batch_size
    if batchnorm_layers.frozen_statistics:
        frozen = batchnorm_layers.frozen_statistics
        evidence["momentum_zero"] = frozen
        return failed(
            f"{len(frozen)} BatchNorm layer(s) have momentum=0 ({', '.join(frozen[:4])}): their running statistics "
            "never move from mean 0 and variance 1, so evaluation normalizes with numbers training never saw",
            evidence,
            fix="Leave momentum at its default 0.1 (PyTorch's momentum is the weight of the new batch, the opposite of "
            "TensorFlow/Keras's 0.99), or momentum=None for a cumulative average.",
        )
    if batch == 1:
        return failed("training batches hold a single sample, so BatchNorm has no batch statistics", evidence)
    if last == 1:
        return failed(
            f"the dataset has {data_stats.dataset_size} samples and batch size "
            f"{data_stats.loader_batch_size}: each epoch ends with a batch of one sample, which "
            "BatchNorm cannot normalize",
            evidence,
            fix="Set drop_last=True on the training DataLoader (or change the batch size).",
        )
    floor = limits.min_batch_spatial if spatial else limits.min_batch
    if batch < floor:
        return warned(
            f"batch size {batch} is small for {len(norms)} BatchNorm layer(s) (below {floor:g}): "
            "batch statistics are noisy",
            evidence,
            extreme=batch <= floor / 4,
        )
    return passed(f"batch size {batch} for {len(norms)} BatchNorm layer(s)", evidence)


def _random_in_eval(train_eval: ModeStats, evidence: dict[str, object]) -> Verdict:
    """ND106's verdict on eval outputs that differ between two passes, by what drew the randomness."""
    changed = (
        f"eval() outputs change between two passes (by up to {train_eval.eval_repeat_diff:.3g} of the output scale)"
    )
    dropout, sampling = train_eval.eval_dropout_calls, train_eval.eval_sampling_calls
    if sampling and not dropout:
        # random numbers drawn on purpose (a VAE's z = mu + eps * std, noise injection), no dropout
        evidence["eval_sampling_calls"] = sampling
        return passed(
            f"note: {changed} because the forward samples ({', '.join(sampling)}) in eval mode, as a VAE's "
            "reparameterization does; deliberate in a generative model, but use the mean (e.g. `z = mu` when not "
            "self.training) where predictions must be repeatable",
            evidence,
        )
    if not dropout and not train_eval.has_dropout:
        # no torch random function ran: Python's or NumPy's random decides something in forward (teacher
        # forcing drawn per call, an augmentation), which dropout never is
        return passed(
            f"note: {changed} though the forward calls no torch random function: Python's or NumPy's random "
            "decides something in forward (teacher forcing drawn per call, an augmentation). Gate it on "
            "self.training if evaluation must be repeatable",
            evidence,
        )
    if dropout:
        evidence["eval_dropout_calls"] = dropout
    return failed(
        f"eval() outputs change between two passes on the same batch (by up to "
        f"{train_eval.eval_repeat_diff:.3g} of the output scale): something random is active in eval mode",
        evidence,
    )


@check(
    "ND106",
    "train-eval-mode-mismatch",
    "train() and eval() behave as the layers promise",
    cost="forward",
    thresholds={"eval_tolerance": 1e-5, "same_tolerance": 1e-7},
    explains=("ND401", "ND405"),
)
def train_eval_modes(train_eval: ModeStats, limits: Thresholds) -> Verdict:
    """Train and eval mode behave as expected.

    What it checks:
    That two eval-mode forward passes on the same batch agree, and that when the model has
    dropout or BatchNorm, train-mode output differs from eval-mode output (identical outputs
    with BatchNorm layers whose scale is all zero are named as such: they output a constant).

    Randomness in eval mode is told apart by the torch random functions the eval forward calls:
    dropout (a functional dropout left in training mode, a uniform mask) fails; sampling alone
    (`torch.randn_like` in a VAE's reparameterization) and randomness outside torch (Python's
    `random` choosing teacher forcing) pass with a note.

    Why it matters:
    Dropout must be active only in training and BatchNorm must switch from batch statistics to
    running averages at evaluation. Random eval outputs usually come from
    `F.dropout(x, p)` called without `training=self.training`, which keeps dropping units at test
    time; identical outputs although dropout exists mean the layer is never applied.

    Evidence:
    The largest difference between two eval passes and between train and eval passes, relative
    to the mean output magnitude.

    How to fix:
    Use nn.Dropout modules (or pass `training=self.training` to functional dropout), call
    model.eval() before evaluation and model.train() before training, and make sure declared
    dropout/BatchNorm layers are actually called in forward().
    """
    evidence: dict[str, object] = {
        "eval_repeat_diff": train_eval.eval_repeat_diff,
        "train_eval_diff": train_eval.train_eval_diff,
        "has_dropout": train_eval.has_dropout,
        "has_batchnorm": train_eval.has_batchnorm,
    }
    if train_eval.eval_repeat_diff > limits.eval_tolerance:
        return _random_in_eval(train_eval, evidence)
    identical = train_eval.train_eval_diff < limits.same_tolerance
    if identical and train_eval.zero_scale_batchnorms:
        zeroed = train_eval.zero_scale_batchnorms
        return warned(
            f"train() and eval() outputs are identical because {len(zeroed)} BatchNorm layer(s) have an all-zero scale "
            f"(weight, gamma) ({', '.join(zeroed[:3])}): each outputs its bias whatever the input, so the layers after "
            "it see a constant and nothing before it gets a gradient",
            {**evidence, "zero_scale_batchnorms": zeroed[:20]},
            fix="Initialize BatchNorm weights to 1 (the default); zero-init only the last BatchNorm of a residual "
            "branch, where the skip connection carries the signal.",
            explains=("ND203", "ND301", "ND402", "ND403", "ND404", "ND405"),
        )
    if (train_eval.has_dropout or train_eval.has_batchnorm) and identical:
        return warned(
            "the model has dropout/BatchNorm layers but train() and eval() outputs are identical: "
            "those layers are not applied in forward()",
            evidence,
        )
    if not (train_eval.has_dropout or train_eval.has_batchnorm):
        return passed("no mode-dependent layers; eval() output is deterministic", evidence)
    return passed("eval() is deterministic and differs from train() as its layers imply", evidence)
