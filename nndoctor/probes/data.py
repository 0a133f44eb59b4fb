"""Statistics of the inputs and targets over the device-resident training batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from nndoctor.context import Context, first_tensor, watch_input
from nndoctor.registry import probe


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
    last_batch_size: int | None = None
    dataset_size: int | None = None
    loader_batch_size: int | None = None
    drop_last: bool | None = None


def _inputs_and_targets(ctx: Context, batches: list[Any]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The model's inputs and the targets: read off (x, y) batches, or, when the recipe has its
    own forward, captured from the model call itself (a few batches: it costs forward passes)."""
    xs: list[torch.Tensor] = []
    ys: list[torch.Tensor] = []
    if ctx.user_forward is None and all(isinstance(b, (list, tuple)) and len(b) == 2 for b in batches):
        for inputs, targets in batches:
            x, y = first_tensor(inputs), first_tensor(targets)
            if x is not None and y is not None:
                xs.append(x)
                ys.append(y)
        return xs, ys
    model = ctx.fresh_model()
    with torch.no_grad():
        for batch in batches[: int(ctx.settings.probe_setting("data_stats", "forward_batches", 8))]:
            with watch_input(model) as captured:
                _, target = ctx.forward(model, batch)
            y = first_tensor(target)
            if captured.tensor is not None and y is not None:
                xs.append(captured.tensor)
                ys.append(y)
    return xs, ys


@probe("data_stats", "input and target statistics", cost="static")
def data_stats(ctx: Context) -> DataStats:
    batches = ctx.train_batches()
    x_list, y_list = _inputs_and_targets(ctx, batches)
    x = torch.cat([t.reshape(t.shape[0], -1) if t.dim() <= 2 else t for t in x_list]) if x_list else None
    y = torch.cat([t.reshape(t.shape[0], -1) for t in y_list]) if y_list else None
    scalars: dict[str, torch.Tensor] = {}
    stats = DataStats(
        batches=len(x_list),
        samples=int(x.shape[0]) if x is not None else 0,
        input_float=bool(x is not None and x.is_floating_point()),
        input_shape=tuple(x_list[0].shape[1:]) if x_list else (),
        input_nonfinite=0,
        target_nonfinite=0,
        last_batch_size=int(x_list[-1].shape[0]) if x_list else None,
    )
    if x is not None and x.is_floating_point():
        xf = x.float()
        scalars["input_nonfinite"] = (~torch.isfinite(xf)).sum()
        finite = torch.where(torch.isfinite(xf), xf, torch.zeros_like(xf))
        # per channel for images [N, C, ...], per feature for tables [N, F]
        per_feature = finite.transpose(0, 1).reshape(finite.shape[1], -1)
        scalars["feature_mean"] = per_feature.mean(dim=1)
        scalars["feature_std"] = (
            per_feature.std(dim=1) if per_feature.shape[1] > 1 else per_feature.new_zeros(per_feature.shape[0])
        )
        scalars["input_rms"] = finite.pow(2).mean().sqrt()
    if y is not None:
        stats.target_float = y.is_floating_point()
        yf = y.double()
        scalars["target_nonfinite"] = (~torch.isfinite(yf)).sum()
        finite_y = yf[torch.isfinite(yf)]
        if finite_y.numel():
            scalars["target_min"] = finite_y.min()
            scalars["target_max"] = finite_y.max()
            scalars["target_mean"] = finite_y.mean()
            scalars["target_var"] = finite_y.var(unbiased=False)
            scalars["target_mean_sq"] = finite_y.pow(2).mean()
        integer_valued = not y.is_floating_point() or bool((finite_y == finite_y.round()).all())
        stats.target_integer_valued = integer_valued and finite_y.numel() > 0
        if stats.target_integer_valued:
            values, counts = torch.unique(finite_y.flatten(), return_counts=True)
            scalars["class_values"] = values
            scalars["class_counts"] = counts
    host = to_host(scalars)  # the probe's single host sync
    for key in ("input_nonfinite", "target_nonfinite"):
        if key in host:
            setattr(stats, key, int(host[key]))
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
    loader = ctx.train_data
    dataset = getattr(loader, "dataset", None)
    if dataset is not None and hasattr(dataset, "__len__"):
        stats.dataset_size = len(dataset)
        stats.loader_batch_size = getattr(loader, "batch_size", None)
        stats.drop_last = getattr(loader, "drop_last", None)
    return stats


def to_host(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """All tensors to the host in one transfer (float64 keeps counts and labels exact), shapes and dtypes kept."""
    if not tensors:
        return {}
    flat = torch.cat([t.detach().reshape(-1).double() for t in tensors.values()]).cpu()
    parts = flat.split([t.numel() for t in tensors.values()])
    return {k: part.reshape(t.shape).to(t.dtype) for (k, t), part in zip(tensors.items(), parts, strict=True)}
