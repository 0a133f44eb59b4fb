"""The model's output head: which operation produced the output, the range that operation can
reach, and where the targets fall against it.

The operation is read off the autograd graph of one forward pass (the output's `grad_fn`, looking
through reshapes and copies), so a functional `torch.sigmoid(x)` is seen as well as an
`nn.Sigmoid` module, and the bounds come from the operation itself (`hardtanh`'s and `clamp`'s
saved limits, ELU's alpha). An output that is scaled or shifted after the squashing
(`250 * torch.sigmoid(x)`) ends in a multiplication, whose range is unknown: no claim is made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nndoctor.batches import first_tensor
from nndoctor.context import Context
from nndoctor.declare import setting
from nndoctor.layers import is_leaf, layer_modules
from nndoctor.probe import probe

# single-input nodes that only move, copy or reshape values: the range passes through them
_PASS_THROUGH = (
    "View",
    "UnsafeView",
    "Reshape",
    "ReshapeAlias",
    "Squeeze",
    "Unsqueeze",
    "Permute",
    "Transpose",
    "T",
    "Clone",
    "Select",
    "Slice",
    "Expand",
    "Alias",
    "ToCopy",
    "Flatten",
)


@dataclass(frozen=True)
class OutputHeadSettings:
    batches: int = setting(4, minimum=1, help="training batches whose targets are compared with the output range")


@dataclass
class OutputHead:
    op: str | None  # the operation that produced the output ("Sigmoid", "Relu", "Hardtanh"), None if unknown
    low: float  # the least value it can produce (-inf when unbounded)
    high: float  # the largest (inf when unbounded)
    module: str | None  # the leaf module whose output the model returns, when there is one ("head.2")
    module_kind: str | None  # its class ("ReLU"); None for a functional op (torch.relu in forward)
    output_min: float
    output_max: float
    comparable: bool  # outputs and float targets match element by element (what a regression loss compares)
    targets: int  # target elements compared
    below: int  # targets under the reachable range
    above: int  # targets over it
    floor_mse: float  # mean squared distance from the targets to the range: MSE no weights can go under
    target_mean: float
    target_var: float
    target_min: float
    target_max: float
    onehot_rows: float | None  # share of target rows that are one-hot, when targets are [N, C>=2] like the output

    @property
    def out_of_reach(self) -> float:
        return (self.below + self.above) / self.targets if self.targets else 0.0

    @property
    def activation(self) -> str:
        """How to name the operation: the module's class, or the functional op ("torch.relu")."""
        if self.module_kind:
            return self.module_kind
        return f"torch.{(self.op or '?').lower()}"

    @property
    def reach(self) -> str:
        """The range in interval notation: (0, 1) for sigmoid, [0, inf) for ReLU."""
        open_ends = self.op in ("Sigmoid", "Tanh", "Softplus", "Exp", "Softmax", "Elu")
        left = "(" if open_ends or math.isinf(self.low) else "["
        right = ")" if open_ends or math.isinf(self.high) else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    @property
    def bounded(self) -> bool:
        return self.op is not None and (math.isfinite(self.low) or math.isfinite(self.high))


def node_name(node: Any) -> str:
    """An autograd node's operation: `AddmmBackward0` -> "Addmm"."""
    return type(node).__name__.rstrip("0123456789").removesuffix("Backward")


def _source(node: Any) -> Any:
    """The first node behind `node` that computes values rather than moving them."""
    while node is not None and node_name(node) in _PASS_THROUGH:
        inputs = [n for n, _ in node.next_functions if n is not None]
        if len(inputs) != 1:
            break
        node = inputs[0]
    return node


def output_range(node: Any) -> tuple[str, float, float] | None:
    """(operation, least value, largest value) of the node that produced an output, or None."""
    if node is None:
        return None
    name = node_name(node)
    inf = math.inf
    if name in ("Relu", "Abs"):
        return name, 0.0, inf
    if name in ("Sigmoid", "Softmax", "Hardsigmoid"):
        return name, 0.0, 1.0
    if name == "Tanh":
        return name, -1.0, 1.0
    if name in ("Softplus", "Exp"):
        return name, 0.0, inf
    if name == "Hardtanh":
        return name, float(node._saved_min_val), float(node._saved_max_val)
    if name.startswith("Clamp"):
        low, high = getattr(node, "_saved_min", None), getattr(node, "_saved_max", None)
        if isinstance(low, (int, float)) or isinstance(high, (int, float)):
            return (
                "Clamp",
                float(low) if isinstance(low, (int, float)) else -inf,
                float(high) if isinstance(high, (int, float)) else inf,
            )
        return None
    if name == "Elu":  # ELU, SELU, CELU: scale * alpha * (exp(x) - 1) for x < 0
        return name, -float(node._saved_scale) * float(node._saved_alpha), inf
    return None


@probe(
    "output_head",
    "the output's last operation and its reach over the targets",
    cost="forward",
    settings=OutputHeadSettings,
)
def output_head(ctx: Context, model: nn.Module, settings: OutputHeadSettings) -> OutputHead:
    batches = ctx.train_batches()[: settings.batches]
    names = {module: name for name, module in model.named_modules()}
    produced: list[tuple[nn.Module, Any]] = []

    def remember(module: nn.Module, _inputs: Any, output: Any) -> None:
        out = first_tensor(output)
        if out is not None and out.grad_fn is not None:
            produced.append((module, out.grad_fn))

    handles = [m.register_forward_hook(remember) for m in layer_modules(model) if is_leaf(m)]
    try:
        with torch.enable_grad():
            output, _ = ctx.forward(model, batches[0])
    finally:
        for handle in handles:
            handle.remove()
    out = first_tensor(output)
    source = _source(out.grad_fn) if out is not None else None
    reach = output_range(source)
    op, low, high = reach if reach is not None else (None, -math.inf, math.inf)
    owner = next((m for m, node in reversed(produced) if node is source), None) if reach else None
    module = (names.get(owner) or "model") if owner is not None else None
    kind = type(owner).__name__ if owner is not None else None
    del output, out

    sums = torch.zeros(5, dtype=torch.float64, device=ctx.device)  # count, below, above, floor, onehot rows
    moments: list[torch.Tensor] = []
    extremes: list[torch.Tensor] = []
    rows = 0
    comparable = True
    with torch.no_grad():
        for batch in batches:
            output, target = ctx.forward(model, batch)
            o, t = first_tensor(output), first_tensor(target)
            if o is None or not isinstance(t, torch.Tensor) or o.numel() != t.numel() or not t.is_floating_point():
                comparable = False
                break
            y = t.detach().double().reshape(-1)
            y = y[torch.isfinite(y)]
            gap = torch.clamp(low - y, min=0) + torch.clamp(y - high, min=0)  # 0 inside [low, high]
            onehot = torch.zeros((), dtype=torch.float64, device=ctx.device)
            if o.dim() == 2 and o.shape[1] >= 2 and t.shape == o.shape:
                ones = t == 1
                onehot = (((t == 0) | ones).all(dim=1) & (ones.sum(dim=1) == 1)).double().sum()
                rows += int(t.shape[0])
            sums += torch.stack(
                [
                    y.new_tensor(float(y.numel())),
                    (y < low).double().sum(),
                    (y > high).double().sum(),
                    gap.pow(2).sum(),
                    onehot,
                ]
            )
            moments.append(torch.stack([y.sum(), y.pow(2).sum()]))
            extremes.append(torch.stack([y.min(), y.max(), o.detach().double().min(), o.detach().double().max()]))
    nan = math.nan
    if not comparable or not moments:
        return OutputHead(op, low, high, module, kind, nan, nan, False, 0, 0, 0, nan, nan, nan, nan, nan, None)
    ext = torch.stack(extremes)
    total = torch.stack(moments).sum(dim=0)
    host = (
        torch.cat(
            [
                sums,
                total,
                ext[:, 0].min().reshape(1),
                ext[:, 1].max().reshape(1),
                ext[:, 2].min().reshape(1),
                ext[:, 3].max().reshape(1),
            ]
        )
        .cpu()
        .tolist()
    )
    count, below, above, floor, onehot_rows, y_sum, y_sq, t_min, t_max, o_min, o_max = host
    mean = y_sum / count if count else nan
    return OutputHead(
        op=op,
        low=low,
        high=high,
        module=module,
        module_kind=kind,
        output_min=o_min,
        output_max=o_max,
        comparable=True,
        targets=int(count),
        below=int(below),
        above=int(above),
        floor_mse=floor / count if count else nan,
        target_mean=mean,
        target_var=max(y_sq / count - mean * mean, 0.0) if count else nan,
        target_min=t_min,
        target_max=t_max,
        onehot_rows=onehot_rows / rows if rows else None,
    )
