"""The recorded run: what `nndoctor watch` saw while the user's script trained, as plain data.

`watcher.Watcher` fills a `WatchedRun` while the script runs; the ND5xx checks
(`nndoctor.checks.live`) read it. Nothing here imports torch: every field is a number, a string,
a list or a dict, so a run round-trips through JSON (`to_dict` / `from_dict`) and the checks can
be tested on synthetic series.

Per-step lists are indexed by the optimizer step, 0-based (step 1 of the run is index 0); a step's
counters (`zero_grads`, `backwards`, `batches`, `scheduler_calls`) count the calls since the
previous step, so index 0 covers everything before the first step.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# how the gradient tensors looked at a step, from their identity and version counter
GRAD_FRESH = "fresh"  # a new tensor since the last step: zero_grad(set_to_none=True) or a first backward
GRAD_ZEROED = "zeroed"  # the same tensor, zeroed in place since the last step (set_to_none=False)
GRAD_KEPT = "kept"  # the same tensor, only accumulated into: nothing zeroed it since the last step
GRAD_NONE = "none"  # every gradient None at the step
GRAD_UNKNOWN = "unknown"  # first step, or no gradient to follow


@dataclass
class Sample:
    """The statistics of one sampled step (read back from the device in one transfer)."""

    step: int  # 0-based step index
    grad_norms: list[float | None]  # per tracked parameter, at the step (None: its grad was None)
    param_norms: list[float]  # per tracked parameter, before the update
    update_norms: list[float] | None = None  # per tracked parameter: |w after - w before| of this step
    dead: dict[str, float] = field(default_factory=dict)  # ReLU site -> share of units zero for the batch
    fingerprint: float | None = None  # a cheap checksum of the batch the model trained on
    grads_finite: bool = True
    params_finite: bool = True


@dataclass
class ValPass:
    """A pass over a loader that no optimizer step followed: a validation (or test) pass."""

    after_step: int  # steps done before it
    epoch: int  # 1-based epoch of the training loader when it ran
    loader: str | None  # where the loader was created (file:line)
    batches: int
    model_calls: int = 0
    training_calls: int = 0  # model calls with the model in training mode
    grad_calls: int = 0  # model calls with gradients enabled
    loss: float | None = None  # mean loss over the pass, when a loss module or function was seen
    train_data: bool = False  # a pass over the training loader without gradients (e.g. train accuracy)
    without_loader: bool = False  # eval-mode, no-grad model calls on tensors (`model(x_val)`), no loader


@dataclass
class NonFinite:
    """The first step whose loss, gradients or weights were NaN/Inf, and where it came from."""

    step: int  # 0-based step index of the first bad step
    where: str  # "loss", "model output", "gradients" or "weights"
    module: str | None = None  # the first module whose output was non-finite, when localized
    detail: str = ""
    loss_before: float | None = None  # the last finite loss before it
    localized_at: int | None = None  # the step the localization ran on (the first bad one, or later)


@dataclass
class LabelRuns:
    """Runs of equal labels in the first pass over the training loader."""

    labels: int  # how many labels were read
    classes: int
    mean_run: float  # mean length of a run of equal consecutive labels
    longest_run: int
    first: list[int] = field(default_factory=list)  # the first few labels, for the evidence


@dataclass
class WatchedRun:
    """Everything a watch recorded; the `watched_run` value the ND5xx checks judge."""

    script: str | None = None
    every: int = 10
    status: str = "completed"  # completed | exception | exit | interrupted | running
    model: str | None = None
    optimizer: str | None = None
    scheduler: str | None = None
    loss: str | None = None
    sites: dict[str, str] = field(default_factory=dict)  # "model" -> "train.py:41"
    params: list[str] = field(default_factory=list)  # tracked parameter names
    param_sizes: list[int] = field(default_factory=list)
    steps: int = 0
    losses: list[float | None] = field(default_factory=list)  # per step (the tensor backward ran on)
    lrs: list[list[float]] = field(default_factory=list)  # per step, per param group
    # param group 0's `initial_lr` at the first step: the lr the optimizer had when its scheduler
    # was built (None without a scheduler that records it)
    base_lr: float | None = None
    output_classes: int | None = None  # width of the model's [N, C] output at a sampled training step
    zero_grads: list[int] = field(default_factory=list)
    backwards: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    train_loader_length: int | None = None  # batches per epoch of the training loader (None: no len())
    scheduler_calls: list[int] = field(default_factory=list)
    grad_pattern: list[str] = field(default_factory=list)
    # steps at which zero_grad() cleared the followed optimizer's gradients after a backward()
    # of that step, before its step() (what leaves a step with no gradient on purpose or not)
    zeroed_after_backward: int = 0
    # steps with several backward passes: how many divided the loss before backward
    accumulation_steps: int = 0
    # steps with several backward passes and a zero_grad() between them: all but the last
    # backward's gradients are thrown away (an optimizer.step() outside the batch loop)
    discarded_steps: int = 0
    accumulation_scaled: int = 0  # the tensor backward ran on was the loss scaled down
    accumulation_unscaled: int = 0  # it was the loss itself (its value, or the loss function's result)
    epoch_starts: list[int] = field(default_factory=list)  # steps done when each training pass began
    samples: list[Sample] = field(default_factory=list)
    val_passes: list[ValPass] = field(default_factory=list)
    label_runs: LabelRuns | None = None
    nonfinite: NonFinite | None = None
    train_calls: int = 0  # model calls with gradients on outside validation passes (the training forwards)
    # optimizer steps whose last training forward before them ran with the model in training
    # mode / in eval mode (model.train() never called again); forwards with gradients in eval
    # mode between steps (adversarial examples) do not count, only the one the step follows
    train_mode_steps: int = 0
    eval_mode_steps: int = 0
    # the optimizers other than the followed one: optimizer, site, steps, kept (steps whose
    # gradients were only added to since its previous step), zero_grads (attributed to it)
    other_optimizers: list[dict[str, Any]] = field(default_factory=list)
    # steps at which the watch began to follow a new optimizer (and its model): the script built
    # new objects and trained those (a resume from a checkpoint)
    handovers: list[int] = field(default_factory=list)
    model_params: int = 0
    model_trainable: int = 0
    model_layers: int = 0  # modules with their own parameters
    device: str | None = None
    dtype: str | None = None
    mode_sensitive: bool = False  # the model has dropout or batch norm: train and eval mode differ

    # ------------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        return _strict(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WatchedRun:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["samples"] = [Sample(**s) for s in data.get("samples", [])]
        values["val_passes"] = [ValPass(**v) for v in data.get("val_passes", [])]
        if data.get("label_runs") is not None:
            values["label_runs"] = LabelRuns(**data["label_runs"])
        if data.get("nonfinite") is not None:
            values["nonfinite"] = NonFinite(**data["nonfinite"])
        return cls(**values)

    # ------------------------------------------------------------------ derived series
    def epochs(self) -> list[tuple[int, int]]:
        """(first step, end step) of each training epoch, end exclusive."""
        starts = [s for s in self.epoch_starts if s < self.steps] or ([0] if self.steps else [])
        if not starts:
            return []
        ends = [*starts[1:], self.steps]
        return [(a, b) for a, b in zip(starts, ends, strict=True) if b > a]

    def epoch_of(self, step: int) -> int:
        """1-based epoch a 0-based step belongs to."""
        epoch = 0
        for index, start in enumerate(self.epoch_starts):
            if start <= step:
                epoch = index + 1
        return max(epoch, 1)

    def epoch_losses(self) -> list[float | None]:
        """Mean finite training loss per epoch (None for an epoch without a finite loss)."""
        out: list[float | None] = []
        for a, b in self.epochs():
            values = [v for v in self.losses[a:b] if v is not None and math.isfinite(v)]
            out.append(sum(values) / len(values) if values else None)
        return out

    def val_losses_per_epoch(self) -> list[tuple[int, float]]:
        """(epoch, validation loss) of the last validation pass with a loss in each epoch."""
        by_epoch: dict[int, float] = {}
        for vp in self.val_passes:
            if vp.loss is not None and math.isfinite(vp.loss) and not vp.train_data:
                by_epoch[vp.epoch] = vp.loss
        return sorted(by_epoch.items())

    def lr_series(self, group: int = 0) -> list[float]:
        return [row[group] for row in self.lrs if len(row) > group]


def label_runs(labels: list[int], keep: int = 12) -> LabelRuns | None:
    """Runs of equal consecutive labels (None for fewer than two labels)."""
    if len(labels) < 2:
        return None
    lengths = [len(list(group)) for _, group in itertools.groupby(labels)]
    return LabelRuns(
        labels=len(labels),
        classes=len(set(labels)),
        mean_run=len(labels) / len(lengths),
        longest_run=max(lengths),
        first=list(labels[:keep]),
    )


def _strict(value: Any) -> Any:
    """NaN/Inf become None so the dict is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value
