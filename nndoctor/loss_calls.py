"""The standard losses a loss calls inside, and the argument conventions they break.

Users wrap losses: a module that takes an embedding pair and calls `nn.CosineEmbeddingLoss`, a
distillation loss around `nn.KLDivLoss`, a focal loss over `F.cross_entropy`. The wrapper is not a
loss nndoctor knows, but every one of them ends in a `torch.nn.functional` loss, and each of
those has conventions about its arguments that the type system does not enforce: log-probabilities
for `kl_div`, labels of -1/+1 for the embedding losses, rates for `poisson_nll_loss(log_input=False)`.
Run once on the first batch under a torch-function mode, the loss shows which functional losses it
called and with what; `convention_problem` reads the arguments against each one's convention.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

_F = torch.nn.functional
FUNCTIONAL_LOSSES: dict[Callable[..., Any], str] = {
    fn: fn.__name__
    for fn in (
        _F.cross_entropy,
        _F.nll_loss,
        _F.mse_loss,
        _F.l1_loss,
        _F.smooth_l1_loss,
        _F.huber_loss,
        _F.binary_cross_entropy,
        _F.binary_cross_entropy_with_logits,
        _F.kl_div,
        _F.poisson_nll_loss,
        _F.gaussian_nll_loss,
        _F.cosine_embedding_loss,
        _F.margin_ranking_loss,
        _F.hinge_embedding_loss,
        _F.soft_margin_loss,
        _F.multilabel_soft_margin_loss,
        _F.multi_margin_loss,
        _F.triplet_margin_loss,
        _F.ctc_loss,
    )
}

# the losses whose target is a sign: +1 similar / ranked first, -1 dissimilar / ranked second
_SIGN_LABELS = {
    "cosine_embedding_loss": (
        "CosineEmbeddingLoss",
        "a pair labelled 0 adds nothing to the loss, so dissimilar pairs are never pushed apart",
    ),
    "margin_ranking_loss": ("MarginRankingLoss", "a pair labelled 0 adds a constant margin with no gradient"),
    "hinge_embedding_loss": (
        "HingeEmbeddingLoss",
        "a sample labelled 0 is scored as both similar and dissimilar at once",
    ),
    "soft_margin_loss": ("SoftMarginLoss", "a sample labelled 0 adds a constant log(2) with no gradient"),
}
_FEW_VALUES = 8
_TOLERANCE = 1e-3


@dataclass(frozen=True)
class TensorSummary:
    """What a convention needs to know of one argument."""

    min: float
    max: float
    values: tuple[float, ...] | None  # the distinct values when there are at most a few
    row_sum_deviation: float | None  # max |sum over dim 1 - 1|, for a floating [N, C >= 2, ...] tensor
    row_sums: tuple[float, float] | None = None  # the smallest and largest sum over dim 1, likewise

    @classmethod
    def of(cls, tensor: torch.Tensor) -> TensorSummary | None:
        if not isinstance(tensor, torch.Tensor) or tensor.numel() == 0 or tensor.is_complex():
            return None
        flat = tensor.detach().reshape(-1).float()
        finite = flat[torch.isfinite(flat)]
        if finite.numel() == 0:
            return None
        low, high = (float(v) for v in torch.stack([finite.min(), finite.max()]).cpu())
        distinct = torch.unique(finite[: 1 << 16])
        values = tuple(float(v) for v in distinct.cpu()) if distinct.numel() <= _FEW_VALUES else None
        deviation, sums = None, None
        if tensor.dim() >= 2 and tensor.shape[1] >= 2 and tensor.is_floating_point():
            rows = tensor.detach().float().sum(dim=1)
            low_sum, high_sum, deviation = (
                float(v) for v in torch.stack([rows.min(), rows.max(), (rows - 1).abs().max()])
            )
            sums = (low_sum, high_sum)
        return cls(low, high, values, deviation, sums)


@dataclass(frozen=True)
class LossCall:
    """One functional loss the loss called on the first batch."""

    name: str  # "kl_div", "cosine_embedding_loss", ...
    input: TensorSummary | None
    target: TensorSummary | None
    options: dict[str, Any] = field(default_factory=dict)  # log_target, log_input, ignore_index
    class_weight: tuple[float, ...] | None = None  # cross-entropy / NLL `weight`: one per class


_INPUTS = ("input", "input1")
_OPTIONS = ("log_target", "log_input", "ignore_index", "reduction")


def _call_of(func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> LossCall | None:
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    named = bound.arguments
    first = next((named[n] for n in _INPUTS if n in named), None)
    return LossCall(
        name=FUNCTIONAL_LOSSES[func],
        input=TensorSummary.of(first) if isinstance(first, torch.Tensor) else None,
        target=TensorSummary.of(named["target"]) if isinstance(named.get("target"), torch.Tensor) else None,
        options={k: named[k] for k in _OPTIONS if k in named and isinstance(named[k], (bool, int, str))},
        class_weight=_class_weight(named.get("weight")) if func in (_F.cross_entropy, _F.nll_loss) else None,
    )


def _class_weight(weight: Any) -> tuple[float, ...] | None:
    if not isinstance(weight, torch.Tensor) or weight.dim() != 1 or not 2 <= weight.numel() <= 1000:
        return None
    return tuple(float(v) for v in weight.detach().float().cpu())


def class_weights(calls: Sequence[LossCall]) -> tuple[float, ...] | None:
    """The per-class weights the loss's cross-entropy or NLL call was given, if any."""
    return next((call.class_weight for call in calls if call.class_weight is not None), None)


class _Recorder(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[LossCall] = []

    def __torch_function__(
        self, func: Any, types: Any, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        if func in FUNCTIONAL_LOSSES and len(self.calls) < 16:
            with contextlib.suppress(Exception):  # a summary that fails is simply not recorded
                call = _call_of(func, args, kwargs)
                if call is not None:
                    self.calls.append(call)
        return func(*args, **kwargs)


@contextlib.contextmanager
def recording_loss_calls() -> Iterator[list[LossCall]]:
    """Collect the functional losses called inside the block (the outermost ones: what a
    functional loss computes inside is not seen)."""
    recorder = _Recorder()
    with recorder:
        yield recorder.calls


def convention_problem(calls: Sequence[LossCall], identified: bool) -> tuple[str, str] | None:
    """(why, fix) for the first call whose arguments break its loss's convention, or None.
    `identified`: the loss itself is a standard loss nndoctor judges by its own rules (then only
    the conventions of losses it has no rules for are read here)."""
    for call in calls:
        problem = _problem(call, identified)
        if problem is not None:
            return problem
    return None


def _problem(call: LossCall, identified: bool) -> tuple[str, str] | None:
    given, target = call.input, call.target
    if call.name == "kl_div" and given is not None:
        if given.max > _TOLERANCE:
            what = (
                f"probabilities (values in [{given.min:.3g}, {given.max:.3g}])"
                if given.min >= 0 and given.max <= 1 + _TOLERANCE
                else f"raw scores (values from {given.min:.3g} to {given.max:.3g})"
            )
            return (
                f"KL divergence (F.kl_div / nn.KLDivLoss) takes log-probabilities as its input (all <= 0, e.g. "
                f"log_softmax), but it gets {what}: the loss can go negative and its minimum is no longer where the "
                "prediction matches the target distribution",
                "Pass `F.log_softmax(logits, dim=-1)` as the first argument (the prediction) and probabilities as "
                "the target (or log-probabilities with log_target=True).",
            )
        if target is not None and not call.options.get("log_target", False) and target.min < -_TOLERANCE:
            return (
                "KL divergence (F.kl_div / nn.KLDivLoss) takes probabilities as its target unless log_target=True, "
                f"but the target runs from {target.min:.3g} to {target.max:.3g} (log-probabilities): the loss "
                "compares against the wrong distribution",
                "Pass `softmax(teacher_logits)` as the target, or keep log-probabilities and set log_target=True.",
            )
    if call.name in _SIGN_LABELS and target is not None and target.values is not None:
        loss, effect = _SIGN_LABELS[call.name]
        bad = sorted(v for v in target.values if v not in (-1.0, 1.0))
        if bad:
            coded = "0/1" if set(target.values) <= {0.0, 1.0} else "values " + ", ".join(f"{v:g}" for v in bad)
            return (
                f"{loss} takes labels of +1 and -1, but its labels are coded {coded}: {effect}",
                "Map the labels to +1 / -1 (e.g. `2 * label - 1`) before the loss.",
            )
    soft_rows = target.row_sums if target is not None and call.name == "cross_entropy" else None
    target_deviation = target.row_sum_deviation if target is not None else None
    if soft_rows is not None and target is not None and target_deviation is not None and target_deviation > 0.01:
        low, high = soft_rows
        multi_hot = target.values is not None and set(target.values) <= {0.0, 1.0}
        return (
            "cross-entropy with float targets takes one probability distribution per sample (each row summing to "
            f"1), but the target rows sum to {low:.3g}..{high:.3g}"
            + (
                ": these are multi-hot labels (several classes per sample), which a softmax over the classes cannot "
                "fit, so the loss stays high and the model spreads its probability over the labels"
                if multi_hot
                else ": the softmax cannot match them, so the loss never reaches its minimum"
            ),
            "For several labels per sample use nn.BCEWithLogitsLoss on the raw outputs (one sigmoid per class); "
            "for soft single-label targets, normalize each row to sum to 1."
            if multi_hot
            else "Normalize each target row to sum to 1 (e.g. `target / target.sum(dim=1, keepdim=True)`).",
        )
    poisson_rates = call.name == "poisson_nll_loss" and not call.options.get("log_input", True)
    if poisson_rates and given is not None and given.min < 0:
        return (
            f"PoissonNLLLoss with log_input=False takes rates (>= 0), but its input reaches {given.min:.3g}: the "
            "log of a negative rate is NaN",
            "Keep log_input=True and let the model output log-rates, or make the rate positive (softplus or exp "
            "at the end of the model).",
        )
    if identified:
        return None
    binary = call.name in ("binary_cross_entropy", "binary_cross_entropy_with_logits")
    if binary and target is not None and (target.min < -_TOLERANCE or target.max > 1 + _TOLERANCE):
        return (
            f"binary cross-entropy ({call.name}) takes targets in [0, 1], but its targets run from "
            f"{target.min:.3g} to {target.max:.3g}: the loss is unbounded below and training chases it",
            "Map the labels to 0/1 (e.g. `(label + 1) / 2` for -1/+1 labels).",
        )
    if call.name == "nll_loss" and given is not None and given.max > _TOLERANCE:
        return (
            f"NLL loss (F.nll_loss) takes log-probabilities (<= 0, from log_softmax), but its input runs from "
            f"{given.min:.3g} to {given.max:.3g}: the loss just rewards raising the picked score, without bound",
            "Apply `F.log_softmax(logits, dim=1)` before F.nll_loss, or call F.cross_entropy on the logits.",
        )
    given_deviation = given.row_sum_deviation if given is not None else None
    probabilities = (
        given is not None and given.min >= 0 and given_deviation is not None and given_deviation < _TOLERANCE
    )
    if call.name == "cross_entropy" and probabilities:
        return (
            "cross-entropy (F.cross_entropy) is given probabilities (non-negative rows summing to 1), but it "
            "applies log_softmax itself: the softmax is applied twice and the gradients shrink",
            "Pass the raw logits to F.cross_entropy; apply softmax only to read probabilities.",
        )
    return None
