"""The forward pass at initialization, watched by hooks on every leaf module.

Per call site (a module called twice is two sites) it records the output's mean and std, the
share of exactly-zero and saturated values, non-finite counts in inputs and outputs, and for each
weighted layer the share of input units that are zero for every sample (dead units feeding it).
Everything stays on the device until the end of the probe, when one transfer brings it home.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.batches import Batch, first_tensor
from nndoctor.context import Context
from nndoctor.declare import setting
from nndoctor.layers import CONVS, SATURATING, is_leaf, is_weighted, layer_modules, module_names
from nndoctor.probe import probe

_STATS = ("mean", "std", "zero", "saturated", "gate_saturated", "nonfinite", "input_nonfinite", "dead_inputs")
# a sigmoid gate is saturated (derivative below 0.01) beyond |pre-activation| 4.6
GATE_SATURATION = 4.6


@dataclass(frozen=True)
class InitForwardSettings:
    batches: int = setting(4, minimum=1, help="training batches run through the hooked model")


@dataclass
class Site:
    """One call of one module during the forward pass."""

    name: str
    kind: str  # the module class name
    order: int
    shape: tuple[int, ...]
    weighted: bool
    bias: bool
    mean: float = 0.0
    std: float = 0.0
    zero: float = 0.0
    saturated: float = math.nan  # share of saturated outputs (tanh/sigmoid-like only)
    # recurrent layers (GRU/LSTM/tanh RNN): share of the first layer's gate pre-activations from
    # the input (W_ih x + b_ih) beyond GATE_SATURATION: an input scale that saturates the gates
    gate_saturated: float = math.nan
    nonfinite: int = 0
    input_nonfinite: int = 0
    dead_inputs: float = math.nan  # weighted layers after the first: dead input units share

    @property
    def module_name(self) -> str:
        """The module's name, without the `#2` a second call of the same module gets."""
        base, sep, count = self.name.rpartition("#")
        return base if sep and count.isdigit() else self.name


@dataclass
class ForwardStats:
    sites: list[Site]
    batches: int
    losses: list[float]
    output_min: float
    output_max: float
    output_row_sum_dev: float  # max |sum over classes - 1|: ~0 means probabilities
    output_logsumexp_dev: float  # max |logsumexp over classes|: ~0 means log-probabilities
    output_std: float
    output_mean: float
    output_nonfinite: int
    first_nonfinite: Site | None = None
    # the same over the batch dimension (dim 0): ~0 means a softmax / log_softmax taken across samples
    output_col_sum_dev: float = math.nan
    output_col_logsumexp_dev: float = math.nan
    notes: list[str] = field(default_factory=list)

    @property
    def squashed_after_last_layer(self) -> bool:
        """The output is not the last Linear/Conv's output: something (a sigmoid?) came after."""
        weighted = self.weighted
        if not weighted:
            return False
        last = weighted[-1]
        if any(s.kind in ("Sigmoid", "Softmax", "Hardsigmoid") for s in self.sites[last.order + 1 :]):
            return True
        scale = last.std + abs(last.mean) + 1e-12
        return abs(self.output_std - last.std) > 0.01 * scale or abs(self.output_mean - last.mean) > 0.01 * scale

    @property
    def sigmoid_after_last_layer(self) -> bool:
        """A Sigmoid-like module runs after the last Linear/Conv (the model squashes its scores)."""
        weighted = self.weighted
        after = self.sites[weighted[-1].order + 1 :] if weighted else self.sites
        return any(s.kind in ("Sigmoid", "Hardsigmoid") for s in after)

    @property
    def weighted(self) -> list[Site]:
        return [s for s in self.sites if s.weighted]

    @property
    def mean_loss(self) -> float:
        finite = [v for v in self.losses if math.isfinite(v)]
        return sum(finite) / len(finite) if len(finite) == len(self.losses) and finite else math.nan


def _unit_axis(tensor: torch.Tensor, conv_like: bool) -> int:
    return 1 if conv_like and tensor.dim() >= 3 else tensor.dim() - 1


class _Recorder:
    """Forward hooks that accumulate per-site statistics as device tensors."""

    def __init__(self, model: nn.Module) -> None:
        self.names = module_names(model)
        self.sites: list[Site] = []
        self.values: dict[int, dict[str, list[torch.Tensor]]] = {}
        self.dead_masks: dict[int, torch.Tensor] = {}
        self.call_index: dict[nn.Module, int] = {}
        self.site_of: dict[tuple[int, int], int] = {}
        self.seen_weighted = False
        self.handles = [
            m.register_forward_hook(self.hook) for m in layer_modules(model) if is_leaf(m) or is_weighted(m)
        ]

    def start_batch(self) -> None:
        self.call_index.clear()
        self.seen_weighted = False

    def hook(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        out = first_tensor(output)
        if out is None or not out.is_floating_point():
            return
        call = self.call_index.get(module, 0)
        self.call_index[module] = call + 1
        key = (id(module), call)
        if key not in self.site_of:
            name = self.names.get(module, type(module).__name__)
            self.site_of[key] = len(self.sites)
            self.sites.append(
                Site(
                    name=name if call == 0 else f"{name}#{call + 1}",
                    kind=type(module).__name__,
                    order=len(self.sites),
                    shape=tuple(out.shape[1:]),
                    weighted=is_weighted(module),
                    bias=isinstance(getattr(module, "bias", None), torch.Tensor),
                )
            )
            self.values[self.site_of[key]] = {k: [] for k in _STATS}
        index = self.site_of[key]
        record = self.values[index]
        with torch.no_grad():
            # fused reductions, no float copies of the activation: std_mean in one pass, counts
            # with count_nonzero; one masked copy only for the mean/std of non-finite outputs
            o = out.detach()
            n = o.numel()
            finite = torch.isfinite(o)
            safe = torch.where(finite, o, 0.0)
            if n > 1:
                std, mean = torch.std_mean(safe.float() if safe.dtype != torch.float32 else safe)
            else:
                mean = safe.float().reshape(()) if n else safe.new_zeros((), dtype=torch.float32)
                std = torch.zeros_like(mean)
            record["mean"].append(mean.float())
            record["std"].append(std.float())
            record["zero"].append(1 - torch.count_nonzero(o).float() / max(n, 1))
            record["nonfinite"].append(n - torch.count_nonzero(finite).float())
            if isinstance(module, SATURATING):
                low, high = (0.01, 0.99) if isinstance(module, (nn.Sigmoid, nn.Hardsigmoid)) else (-0.99, 0.99)
                record["saturated"].append(torch.count_nonzero((o <= low) | (o >= high)).float() / max(n, 1))
            x = first_tensor(inputs)
            if isinstance(module, nn.RNNBase) and getattr(module, "nonlinearity", "tanh") == "tanh":
                weight, bias = getattr(module, "weight_ih_l0", None), getattr(module, "bias_ih_l0", None)
                if x is not None and x.is_floating_point() and isinstance(weight, torch.Tensor):
                    pre = torch.nn.functional.linear(x.detach().to(weight.dtype), weight, bias)
                    share = torch.count_nonzero(pre.abs() > GATE_SATURATION).float() / max(pre.numel(), 1)
                    record["gate_saturated"].append(share)
            if x is not None and x.is_floating_point():
                xd = x.detach()
                record["input_nonfinite"].append(xd.numel() - torch.count_nonzero(torch.isfinite(xd)).float())
                if is_weighted(module) and self.seen_weighted and xd.dim() >= 2:
                    axis = _unit_axis(xd, isinstance(module, CONVS))
                    reduce = [d for d in range(xd.dim()) if d != axis]
                    alive = (xd != 0).any(dim=reduce) if reduce else xd != 0
                    previous = self.dead_masks.get(index)
                    self.dead_masks[index] = alive if previous is None else (previous | alive)
        if is_weighted(module):
            self.seen_weighted = True

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()

    def collect(self, extra: torch.Tensor | None = None) -> list[float]:
        """Bring every statistic (and `extra`) to the host in one transfer; fill in the sites."""
        flat: list[torch.Tensor] = [extra.reshape(-1)] if extra is not None else []
        layout: list[tuple[int, str, int]] = []
        for index, record in self.values.items():
            for stat, values in record.items():
                if values:
                    layout.append((index, stat, len(values)))
                    flat.extend(v.reshape(1) for v in values)
            if index in self.dead_masks:
                layout.append((index, "dead_inputs", 1))
                flat.append((~self.dead_masks[index]).float().mean().reshape(1))
        host = torch.cat(flat).cpu().tolist() if flat else []
        cursor = extra.numel() if extra is not None else 0
        for index, stat, count in layout:
            chunk = host[cursor : cursor + count]
            cursor += count
            site = self.sites[index]
            if stat in ("nonfinite", "input_nonfinite"):
                setattr(site, stat, int(sum(chunk)))
            elif stat == "dead_inputs":
                site.dead_inputs = chunk[0]
            else:
                setattr(site, stat, sum(chunk) / len(chunk))
        return host[: extra.numel()] if extra is not None else []


@probe("init_forward", "forward pass at init with activation hooks", cost="forward", settings=InitForwardSettings)
def init_forward(ctx: Context, model: nn.Module, settings: InitForwardSettings) -> ForwardStats:
    return record_forward(ctx, model, ctx.train_batches()[: settings.batches])


def record_forward(ctx: Context, model: nn.Module, batches: Sequence[Batch]) -> ForwardStats:
    """`batches` through the hooked model (no gradients, the model's current mode and weights)."""
    recorder = _Recorder(model)
    losses: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []
    try:
        with torch.no_grad():
            for batch in batches:
                recorder.start_batch()
                output, target = ctx.forward(model, batch)
                losses.append(ctx.loss(output, target).detach().float().reshape(1))
                out = first_tensor(output)
                if out is not None:
                    outputs.append(out.detach().float())
    finally:
        recorder.close()
    summary = _output_summary(outputs)
    loss_tensor = torch.cat(losses)
    host = recorder.collect(torch.cat([loss_tensor, summary.reshape(-1)]) if summary is not None else loss_tensor)
    sites = recorder.sites
    loss_values = host[: len(losses)]
    out_summary = _summary_fields(host[len(losses) :] if summary is not None else None)
    first_bad = next((s for s in sites if s.nonfinite and not s.input_nonfinite), None)
    return ForwardStats(sites=sites, batches=len(batches), losses=loss_values, first_nonfinite=first_bad, **out_summary)


_SUMMARY = ("min", "max", "row_sum_dev", "logsumexp_dev", "std", "nonfinite", "mean", "col_sum_dev", "col_lse_dev")


def _output_summary(outputs: list[torch.Tensor]) -> torch.Tensor | None:
    """Output statistics per batch, as one device tensor [batches, len(_SUMMARY)]."""
    if not outputs:
        return None
    flat = [o.reshape(o.shape[0], -1) if o.dim() > 2 else (o if o.dim() == 2 else o.reshape(-1, 1)) for o in outputs]
    stats: list[torch.Tensor] = []
    for o in flat:
        finite = torch.isfinite(o)
        safe = torch.where(finite, o, torch.zeros_like(o))
        if o.shape[1] > 1:
            row_dev = (safe.sum(dim=1) - 1).abs().max()
            lse_dev = torch.logsumexp(safe, dim=1).abs().max()
        else:
            row_dev = lse_dev = safe.new_tensor(math.inf)
        if o.shape[0] > 1:
            col_dev = (safe.sum(dim=0) - 1).abs().max()
            col_lse = torch.logsumexp(safe, dim=0).abs().max()
        else:
            col_dev = col_lse = safe.new_tensor(math.inf)
        spread = safe.std() if safe.numel() > 1 else safe.new_zeros(())
        stats.append(
            torch.stack(
                [
                    safe.min(),
                    safe.max(),
                    row_dev,
                    lse_dev,
                    spread,
                    (~finite).sum().float(),
                    safe.mean(),
                    col_dev,
                    col_lse,
                ]
            )
        )
    return torch.stack(stats)


def _summary_fields(values: list[float] | None) -> dict[str, Any]:
    if not values:
        nan = math.nan
        return dict(
            output_min=nan,
            output_max=nan,
            output_row_sum_dev=nan,
            output_logsumexp_dev=nan,
            output_std=nan,
            output_mean=nan,
            output_nonfinite=0,
            output_col_sum_dev=nan,
            output_col_logsumexp_dev=nan,
        )
    rows = [values[i : i + len(_SUMMARY)] for i in range(0, len(values), len(_SUMMARY))]
    column = {name: [row[i] for row in rows] for i, name in enumerate(_SUMMARY)}
    return dict(
        output_min=min(column["min"]),
        output_max=max(column["max"]),
        output_row_sum_dev=max(column["row_sum_dev"]),
        output_logsumexp_dev=max(column["logsumexp_dev"]),
        output_std=sum(column["std"]) / len(rows),
        output_mean=sum(column["mean"]) / len(rows),
        output_nonfinite=int(sum(column["nonfinite"])),
        output_col_sum_dev=max(column["col_sum_dev"]),
        output_col_logsumexp_dev=max(column["col_lse_dev"]),
    )
