"""Statistics of the inputs and targets over the device-resident training batches.

Accumulated batch by batch on the device (per-feature sums and sums of squares in float64), with
no concatenation of the held batches and no full-size temporaries in the common, all-finite case;
one host transfer at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from nndoctor.batches import first_tensor
from nndoctor.context import Context
from nndoctor.declare import setting
from nndoctor.errors import Skip
from nndoctor.probe import probe
from nndoctor.probes._inputs import watch_input
from nndoctor.probes.loop import eval_mode


@dataclass(frozen=True)
class DataStatsSettings:
    forward_batches: int = setting(8, minimum=1, help="batches run through a custom forward to see the model's inputs")


@dataclass
class DataStats:
    batches: int
    samples: int
    input_float: bool
    input_shape: tuple[int, ...]
    input_nonfinite: int
    target_nonfinite: int
    feature_mean: list[float] = field(default_factory=list)  # per feature (per channel for images)
    feature_std: list[float] = field(default_factory=list)
    input_rms: float = 0.0
    target_float: bool = False
    target_min: float = 0.0
    target_max: float = 0.0
    target_mean: float = 0.0
    target_var: float = 0.0
    target_mean_sq: float = 0.0
    target_integer_valued: bool = False
    class_counts: dict[int, int] = field(default_factory=dict)  # integer-valued targets only
    label_runs: list[int] = field(default_factory=list)  # distinct labels per batch, in loader order
    label_modes: list[int] = field(default_factory=list)  # each batch's most common label, in loader order
    last_batch_size: int | None = None
    dataset_size: int | None = None
    loader_batch_size: int | None = None
    drop_last: bool | None = None
    sampler: str | None = None
    batch_sampler: str | None = None


def _pairs(ctx: Context, model: nn.Module, settings: DataStatsSettings) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(model input, target) per batch: read off (x, y) batches, or, when the recipe has its own
    forward, captured from the model call itself (a few batches: it costs forward passes)."""
    batches = ctx.train_batches()
    if not ctx.user_forward and all(isinstance(b, (list, tuple)) and len(b) == 2 for b in batches):
        for inputs, targets in batches:
            x, y = first_tensor(inputs), first_tensor(targets)
            if x is not None and y is not None:
                yield x, y
        return
    with torch.no_grad():
        for batch in batches[: settings.forward_batches]:
            with watch_input(model) as captured:
                _, target = ctx.forward(model, batch)
            y = first_tensor(target)
            if captured.tensor is not None and y is not None:
                yield captured.tensor, y


class _InputSums:
    """Per-feature (dim 1) count, sum and sum of squares, and the non-finite count, in float64.

    Sums are taken over the raw values (no masked copy of the batch); only when the data holds
    NaN/Inf, which `nonfinite` reveals at the end, is a masked second pass needed.
    """

    def __init__(self, masked: bool = False) -> None:
        self.masked = masked
        self.total: torch.Tensor | None = None  # [3, features]: count, sum, sum of squares
        self.nonfinite: torch.Tensor | None = None
        self.pooled = False

    def add(self, x: torch.Tensor) -> None:
        xf = x if x.dim() >= 2 else x.reshape(-1, 1)
        if self.pooled:  # batches of different widths came before: one pooled "feature"
            xf = xf.reshape(-1, 1)
        elif self.total is not None and self.total.shape[1] != xf.shape[1]:
            # dim 1 changes from batch to batch (padded sequences, (B, L, F)): it is no feature
            # axis; pool what was summed so far and every batch from here into one column
            self.pooled = True
            self.total = self.total.sum(dim=1, keepdim=True)
            xf = xf.reshape(-1, 1)
        dims = [d for d in range(xf.dim()) if d != 1]
        per_feature = xf.numel() // max(xf.shape[1], 1)
        finite = torch.isfinite(xf)
        bad = (xf.numel() - torch.count_nonzero(finite)).double()
        if self.masked:
            xf = torch.where(finite, xf, torch.zeros((), dtype=xf.dtype, device=xf.device))
        s = xf.sum(dim=dims, dtype=torch.float64)
        sq = torch.linalg.vector_norm(xf, dim=dims, dtype=torch.float64).pow(2)
        row = torch.stack([torch.full_like(s, float(per_feature)), s, sq])
        self.total = row if self.total is None else self.total + row
        self.nonfinite = bad if self.nonfinite is None else self.nonfinite + bad

    def scalars(self) -> dict[str, torch.Tensor]:
        if self.total is None or self.nonfinite is None:
            return {}
        n, s, sq = self.total
        mean = s / n
        return {
            "input_nonfinite": self.nonfinite,
            "feature_mean": mean,
            "feature_std": ((sq / n - mean.pow(2)).clamp_min(0) * n / (n - 1).clamp_min(1)).sqrt(),
            "input_rms": (sq.sum() / n.sum()).sqrt(),
        }


class _TargetSums:
    """Per-batch accumulation of the targets' statistics (float64 on the device): count, sum, sum
    of squares, min, max, non-finite count and whether every finite value is an integer. Class
    counts need a second per-batch pass, made only when the targets turn out integer-valued."""

    def __init__(self) -> None:
        self.rows: torch.Tensor | None = None  # [count, sum, sumsq, nonfinite, non-integers]
        self.low: torch.Tensor | None = None
        self.high: torch.Tensor | None = None
        self.float_valued = False

    def add(self, flat: torch.Tensor) -> None:
        """One batch's targets; masks instead of boolean indexing, so no device sync."""
        self.float_valued = self.float_valued or flat.is_floating_point()
        yf = flat.reshape(-1).double()
        finite = torch.isfinite(yf)
        values = torch.where(finite, yf, 0.0)
        inf = torch.tensor(torch.inf, dtype=torch.float64, device=yf.device)
        row = torch.stack(
            [
                torch.count_nonzero(finite).double(),
                values.sum(),
                values.pow(2).sum(),
                (yf.numel() - torch.count_nonzero(finite)).double(),
                torch.count_nonzero(values != values.round()).double(),
            ]
        )
        low = torch.where(finite, yf, inf).min() if yf.numel() else inf
        high = torch.where(finite, yf, -inf).max() if yf.numel() else -inf
        self.rows = row if self.rows is None else self.rows + row
        self.low = low if self.low is None else torch.minimum(self.low, low)
        self.high = high if self.high is None else torch.maximum(self.high, high)

    def scalars(self) -> dict[str, torch.Tensor]:
        if self.rows is None or self.low is None or self.high is None:
            return {}
        n, s, sq, bad, fractional = self.rows
        mean = s / n.clamp_min(1)
        return {
            "target_count": n,
            "target_nonfinite": bad,
            "target_fractional": fractional,
            "target_min": self.low,
            "target_max": self.high,
            "target_mean": mean,
            "target_var": (sq / n.clamp_min(1) - mean.pow(2)).clamp_min(0),
            "target_mean_sq": sq / n.clamp_min(1),
        }


def _class_counts(flats: Iterator[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct finite target values and their counts, merged batch by batch."""
    values: list[torch.Tensor] = []
    counts: list[torch.Tensor] = []
    for flat in flats:
        yf = flat.reshape(-1).double()
        v, c = torch.unique(yf[torch.isfinite(yf)], return_counts=True)
        values.append(v)
        counts.append(c)
    all_values = torch.cat(values)
    merged, inverse = torch.unique(all_values, return_inverse=True)
    totals = torch.zeros(merged.numel(), dtype=torch.long, device=merged.device)
    totals.index_add_(0, inverse, torch.cat(counts))
    return merged, totals


def _flat_target(y: torch.Tensor) -> torch.Tensor:
    return y.detach().reshape(y.shape[0], -1) if y.dim() else y.detach().reshape(1, 1)


@probe("data_stats", "input and target statistics", cost="static", settings=DataStatsSettings)
def data_stats(ctx: Context, model: nn.Module, settings: DataStatsSettings) -> DataStats:
    inputs = _InputSums()
    targets = _TargetSums()
    runs: list[torch.Tensor] = []
    modes: list[torch.Tensor] = []
    first_shape: tuple[int, ...] = ()
    input_float = False
    last_batch: int | None = None
    count = 0
    samples = 0
    for x, y in _pairs(ctx, model, settings):
        if count == 0:
            first_shape, input_float = tuple(x.shape[1:]), x.is_floating_point()
        count += 1
        samples += int(x.shape[0]) if x.dim() else 1
        last_batch = int(x.shape[0]) if x.dim() else None
        flat = _flat_target(y)
        try:
            if x.is_floating_point():
                inputs.add(x.detach())
            targets.add(flat)
        except RuntimeError as exc:  # a batch layout the sums cannot merge: say so, do not crash the report
            raise Skip(
                f"training batch {count} (inputs {list(x.shape)}, targets {list(y.shape)}) could not be summed "
                f"with the batches before it: {exc}"
            ) from None
        if not flat.is_floating_point() and flat.shape[1] == 1:
            runs.append(torch.unique(flat).numel() * torch.ones((), device=flat.device))
            modes.append(flat.reshape(-1).mode().values)
    stats = DataStats(
        batches=count,
        samples=samples,
        input_float=input_float,
        input_shape=first_shape,
        input_nonfinite=0,
        target_nonfinite=0,
        last_batch_size=last_batch,
        dataset_size=ctx.data.dataset_size,
        loader_batch_size=ctx.data.loader_batch_size,
        drop_last=ctx.data.drop_last,
        sampler=ctx.data.sampler,
        batch_sampler=ctx.data.batch_sampler,
    )
    scalars = inputs.scalars()
    scalars.update(targets.scalars())
    if runs:
        scalars["label_runs"] = torch.stack(runs)
        scalars["label_modes"] = torch.stack(modes)
    host = to_host(scalars)  # the probe's single host transfer
    if host.get("input_nonfinite") is not None and int(host["input_nonfinite"]):
        masked = _InputSums(masked=True)  # NaN/Inf in the inputs: describe the finite values
        for x, _ in _pairs(ctx, model, settings):
            if x.is_floating_point():
                masked.add(x.detach())
        host.update(to_host({k: v for k, v in masked.scalars().items() if k != "input_nonfinite"}))
    for key in ("input_nonfinite", "target_nonfinite"):
        if key in host:
            setattr(stats, key, int(host[key]))
    stats.target_float = targets.float_valued
    has_targets = "target_count" in host and int(host["target_count"]) > 0
    if not has_targets:  # no finite target value: the statistics keep their defaults
        for key in ("target_min", "target_max", "target_mean", "target_var", "target_mean_sq"):
            host.pop(key, None)
    elif int(host["target_fractional"]) == 0:
        stats.target_integer_valued = True
        values, counts = _class_counts(_flat_target(y) for _, y in _pairs(ctx, model, settings))
        host.update(to_host({"class_values": values, "class_counts": counts}))
    for key in ("feature_mean", "feature_std"):
        if key in host:
            setattr(stats, key, host[key].tolist())
    for key in ("input_rms", "target_min", "target_max", "target_mean", "target_var", "target_mean_sq"):
        if key in host:
            setattr(stats, key, float(host[key]))
    if "class_values" in host:
        stats.class_counts = {
            int(v): int(c) for v, c in zip(host["class_values"].tolist(), host["class_counts"].tolist(), strict=True)
        }
    if "label_runs" in host:
        stats.label_runs = [int(v) for v in host["label_runs"].tolist()]
        stats.label_modes = [int(v) for v in host["label_modes"].tolist()]
    return stats


def to_host(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """All tensors to the host in one transfer (float64 keeps counts and labels exact), shapes and dtypes kept."""
    if not tensors:
        return {}
    flat = torch.cat([t.detach().reshape(-1).double() for t in tensors.values()]).cpu()
    parts = flat.split([t.numel() for t in tensors.values()])
    return {k: part.reshape(t.shape).to(t.dtype) for (k, t), part in zip(tensors.items(), parts, strict=True)}


@dataclass
class IdFeatures:
    """Input columns that hold non-negative whole numbers the model reads only through an integer
    cast (`x[:, :3].long()` into embeddings): category ids packed beside scaled features, whose
    size says nothing about normalization."""

    ids: list[int]
    candidates: list[int]


ID_PERTURBATION = 0.25  # moves a float but not its integer part: 7.25.long() == 7
MAX_ID_CANDIDATES = 32


@probe("id_features", "integer input columns the model reads only as ids", cost="forward")
def id_features(ctx: Context, model: nn.Module) -> IdFeatures:
    # Measured, not guessed from the values: a zip code and a category id are both whole numbers,
    # but only the id stops mattering when a fraction is added to it.
    batches = ctx.train_batches()
    if ctx.user_forward or not batches or not all(isinstance(b, (list, tuple)) and len(b) == 2 for b in batches):
        return IdFeatures([], [])
    x, y = batches[0]
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or not x.is_floating_point() or x.shape[1] < 2:
        return IdFeatures([], [])
    # a shift the dtype can represent at every value (float32 cannot add 0.25 to a timestamp)
    visible = (x + ID_PERTURBATION != x).all(dim=0)
    whole = ((x == x.round()) & (x >= 0)).all(dim=0) & (x.amax(dim=0) >= 2) & visible
    candidates = [int(i) for i in torch.nonzero(whole).flatten().tolist()][:MAX_ID_CANDIDATES]
    if not candidates:
        return IdFeatures([], [])

    def output(inputs: torch.Tensor) -> torch.Tensor | None:
        return first_tensor(ctx.forward(model, (inputs, y))[0])

    def shifted(columns: list[int]) -> torch.Tensor:
        moved = x.clone()
        moved[:, columns] += ID_PERTURBATION
        return moved

    with torch.no_grad(), eval_mode(model):
        try:
            base = output(x)
            again = output(x)
            if base is None or again is None or not torch.equal(base, again):  # not repeatable: nothing to compare
                return IdFeatures([], candidates)
            together = output(shifted(candidates))
            if together is not None and torch.equal(base, together):
                return IdFeatures(candidates, candidates)
            ids = []
            for column in candidates:
                alone = output(shifted([column]))
                if alone is not None and torch.equal(base, alone):
                    ids.append(column)
        except (RuntimeError, IndexError, TypeError, ValueError):  # a model that refuses the shifted batch
            return IdFeatures([], candidates)
    return IdFeatures(ids, candidates)
