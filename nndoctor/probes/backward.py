"""One backward pass and one optimizer step from the initial state.

Gives per-parameter gradient and weight norms, gradients that never arrive, the weight symmetry
test (identical rows with identical gradients stay identical forever), the depth of the autograd
graph in weighted layers, and per-layer update/weight ratios after the user's optimizer steps once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from nndoctor.batches import first_tensor, marked_inside_rows
from nndoctor.context import Context
from nndoctor.layers import (
    SATURATING,
    fan_in_out,
    is_leaf,
    is_transposed_linear,
    is_weighted,
    layer_modules,
    library_owned,
    module_names,
)
from nndoctor.probe import probe
from nndoctor.probes._inputs import CapturedInput, watch_input
from nndoctor.probes.head import node_name
from nndoctor.probes.loop import clip_gradients, step_optimizer

# autograd nodes of ops that multiply by a weight (the layers counted when measuring depth)
_WEIGHTED_NODES = ("Addmm", "Mm", "Bmm", "Convolution", "Linear", "Matmul", "Baddbmm")


@dataclass
class ParamStats:
    name: str
    module: str
    shape: tuple[int, ...]
    requires_grad: bool
    in_optimizer: bool
    has_grad: bool
    grad_norm: float
    weight_norm: float
    update_norm: float
    grad_nonfinite: int
    trained_by_script: bool = (
        False  # no gradient here, but one from the script's other losses (Target.script_gradients)
    )


@dataclass
class LayerGrad:
    """Per weighted layer (Linear/Conv), in forward execution order."""

    name: str
    kind: str
    grad_rms: float  # RMS of the weight gradient entries
    weight_rms: float
    update_ratio: float  # |delta W| / |W| after one optimizer step
    symmetric: bool  # all output units have identical weights and identical gradients
    rows: int
    in_optimizer: bool
    dense: bool  # a Linear/Conv (fan-in, init rules and symmetry apply); else e.g. an LSTM
    fan_in: int
    fan_out: int

    @property
    def starts_at_zero(self) -> bool:
        """Zero-initialized on purpose (an identity-start transform, a zero residual branch): exactly
        zero weights whose units get a gradient, so the first step moves them off zero."""
        return self.weight_rms == 0 and self.grad_rms > 0


@dataclass
class BackwardStats:
    loss: float
    params: list[ParamStats]
    layers: list[LayerGrad]
    depth_longest: int | None  # None when the input is not differentiable (token ids)
    depth_shortest: int | None
    optimizer: str
    lr: float | None
    grad_output_nonfinite: list[str] = field(default_factory=list)  # modules, in backward order
    gates: list[str] = field(default_factory=list)  # sigmoid/tanh modules used only as multiplicative gates
    # every path from the input to the model's output is linear (no activation, normalization or
    # product of two computed tensors between the weighted layers); None when not traced
    linear: bool | None = None
    # embeddings whose padding_idx is looked up as a real token: (module, padding id, its share of the
    # lookups): single ids per sample (no sequence to pad), or ids between other tokens in the sequences
    padding_lookups: list[tuple[str, int, float]] = field(default_factory=list)

    def layer(self, name: str) -> LayerGrad | None:
        return next((layer for layer in self.layers if layer.name == name), None)


def _fold_to_leaf(
    root: Any, leaf: torch.Tensor, at_leaf: Any, combine: Callable[[Any, list[Any], list[Any]], Any]
) -> Any:
    """A value for `root` folded from the autograd graph's paths down to the input `leaf`: `at_leaf`
    there, then `combine(node, children, values of the children that reach the leaf)` from the
    bottom up; None for a node no path takes to the leaf. Paths into parameters do not count."""
    if root is None:
        return None
    values: dict[Any, Any] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative post-order: deep nets overflow Python's recursion limit
        node, expanded = stack.pop()
        if node in values:
            continue
        children = [c for c, _ in getattr(node, "next_functions", ()) if c is not None]
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in children if c not in values)
            continue
        if getattr(node, "variable", None) is leaf:
            values[node] = at_leaf
            continue
        reaching = [values[c] for c in children if values.get(c) is not None]
        values[node] = combine(node, children, reaching) if reaching else None
    return values.get(root)


def weighted_depth(root: Any, leaf: torch.Tensor) -> tuple[int, int] | None:
    """Longest and shortest count of weight ops on the paths from the loss back to the input.

    A plain chain has both equal; skip connections create much shorter paths. Paths into
    parameters (a weight's transpose, say) do not count: only those that reach `leaf`.
    """

    def combine(node: Any, _children: list[Any], reaching: list[tuple[int, int]]) -> tuple[int, int]:
        own = 1 if node_name(node) in _WEIGHTED_NODES else 0
        return own + max(r[0] for r in reaching), own + min(r[1] for r in reaching)

    depth: tuple[int, int] | None = _fold_to_leaf(root, leaf, (0, 0), combine)
    return depth


# autograd nodes that are linear in their differentiable inputs (scaling by a constant included)
_LINEAR_NODES = frozenset(
    {
        *_WEIGHTED_NODES,
        "Add", "Sub", "Neg", "Sum", "Mean", "View", "Reshape", "UnsafeView", "Alias", "Permute", "Transpose",
        "T", "Expand", "Squeeze", "Unsqueeze", "Slice", "Select", "Index", "Clone", "Cat", "Stack", "Split",
        "SplitWithSizes", "Unbind", "Flatten", "Copy", "ToCopy", "Narrow", "Repeat", "AvgPool2D", "AvgPool1D",
        "AdaptiveAvgPool2D", "AdaptiveAvgPool1D", "ConstantPadNd", "Mul", "Div",
    }
)  # fmt: skip


def linear_from_input(root: Any, leaf: torch.Tensor) -> bool | None:
    """True when every node on a path from `root` (the output's grad_fn) down to the input `leaf`
    is linear: then all the weighted layers compose to a single linear map. A product or quotient
    of two computed tensors (attention, gating) is not linear. None when the input is not reached."""

    def combine(node: Any, children: list[Any], reaching: list[bool]) -> bool:
        kind = node_name(node)
        computed = [c for c in children if type(c).__name__ != "AccumulateGrad"]
        own = kind in _LINEAR_NODES and not (kind in ("Mul", "Div") and len(computed) > 1)
        return own and all(reaching)

    linear: bool | None = _fold_to_leaf(root, leaf, True, combine)
    return linear


def gates(root: Any, saturating: dict[Any, str]) -> list[str]:
    """The sigmoid/tanh modules whose output only ever scales another tensor (squeeze-and-excitation,
    gated units): the main path's gradient is multiplied by the gate's value, it does not pass
    through the gate's derivative, so these are not saturating layers in series."""
    consumers: dict[Any, set[str]] = {node: set() for node in saturating}
    seen: set[Any] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for child, _ in getattr(node, "next_functions", ()):
            if child is None:
                continue
            if child in consumers:
                consumers[child].add(type(node).__name__)
            if child not in seen:
                stack.append(child)
    gating = {node: bool(ops) and ops <= {"MulBackward0"} for node, ops in consumers.items()}
    names = set(saturating.values())
    return sorted(n for n in names if all(gating[node] for node, name in saturating.items() if name == n))


def diff_norm(a: torch.Tensor, b: torch.Tensor, chunk: int = 1 << 20) -> torch.Tensor:
    """||a - b|| in float32, in chunks, so no full-size temporary is made for a big tensor."""
    flat_a, flat_b = a.detach().reshape(-1), b.detach().reshape(-1)
    if flat_a.numel() <= chunk:
        return torch.linalg.vector_norm((flat_a - flat_b).float())
    # one chunk-sized temporary at a time
    parts = [
        torch.linalg.vector_norm((flat_a[i : i + chunk] - flat_b[i : i + chunk]).float())
        for i in range(0, flat_a.numel(), chunk)
    ]
    return torch.linalg.vector_norm(torch.stack(parts))


def nonfinite_count(t: torch.Tensor, chunk: int = 1 << 20) -> torch.Tensor:
    """NaN/Inf entries of `t` as a float device scalar; big tensors in chunks (no full-size mask)."""
    flat = t.detach().reshape(-1)
    parts = [
        flat[i : i + chunk].numel() - torch.count_nonzero(torch.isfinite(flat[i : i + chunk]))
        for i in range(0, flat.numel(), chunk)
    ]
    return torch.stack(parts).sum().float() if parts else flat.new_zeros((), dtype=torch.float32)


def norm32(t: torch.Tensor) -> torch.Tensor:
    """The L2 norm accumulated in float32 (no float copy of a float32 tensor)."""
    return torch.linalg.vector_norm(t.detach(), dtype=torch.float32 if t.dtype != torch.float64 else None)


def _rows_identical(t: torch.Tensor, tolerance: float) -> torch.Tensor:
    """All rows (output units) equal: max over columns of (row max - row min), no full temporary."""
    t2 = t.detach().reshape(t.shape[0], -1)
    spread = (t2.amax(dim=0) - t2.amin(dim=0)).abs().max()
    return spread <= tolerance * (t2.abs().max() + 1e-12)


class OutputGradients:
    """Forward hooks that flag, for every leaf module call, whether the gradient the backward pass
    brings to its output holds NaN/Inf (kept on the device, in backward order); `order` is the
    forward order of every module."""

    def __init__(self, model: nn.Module) -> None:
        self.names = module_names(model)
        self.order: dict[str, int] = {}
        self.reached: list[str] = []
        self._flags: list[torch.Tensor] = []
        self.saturating: dict[Any, str] = {}  # autograd node of a sigmoid/tanh module's output -> its name
        self.handles = [m.register_forward_hook(self._watch) for m in layer_modules(model)]

    def _watch(self, module: nn.Module, _inputs: Any, output: Any) -> None:
        name = self.names.get(module, type(module).__name__)
        self.order.setdefault(name, len(self.order))
        out = first_tensor(output)
        if out is not None and out.grad_fn is not None and isinstance(module, SATURATING):
            self.saturating[out.grad_fn] = name
        if out is not None and out.requires_grad and is_leaf(module):

            def on_grad(grad: torch.Tensor) -> None:
                self.reached.append(name)
                self._flags.append((~torch.isfinite(grad)).any().reshape(1))

            out.register_hook(on_grad)

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()

    def flags(self, device: torch.device) -> torch.Tensor:
        return torch.cat(self._flags).float() if self._flags else torch.zeros(0, device=device)

    def flagged(self, host_flags: list[float]) -> list[str]:
        """The modules whose output gradient was non-finite, given `flags()` read back."""
        return [name for name, bad in zip(self.reached, host_flags, strict=True) if bad]


@probe("init_backward", "one backward pass and one optimizer step at init", cost="backward")
def init_backward(ctx: Context, model: nn.Module) -> BackwardStats:
    batch = ctx.train_batches()[0]
    names = module_names(model)
    grads = OutputGradients(model)
    lookups: list[tuple[str, int, torch.Tensor]] = []
    hooks = [
        m.register_forward_pre_hook(
            lambda mod, args, name=name: (
                lookups.append((name, int(mod.padding_idx), args[0].detach()))
                if args and isinstance(args[0], torch.Tensor)
                else None
            )
        )
        for name, m in model.named_modules()
        # a library's embedding takes its padding id from a config (a tokenizer's pad token), not a choice here
        if isinstance(m, nn.Embedding) and m.padding_idx is not None and not library_owned(model, name)
    ]
    try:
        try:
            with watch_input(model, requires_grad=True) as captured:  # lets the graph be traced to the input
                output, target = ctx.forward(model, batch)
        except RuntimeError as error:
            if "requires_grad" not in str(error):
                raise
            # the model sets requires_grad on a view of its input itself (transformers' Wav2Vec2
            # does, for gradient checkpointing): run it on the batch as given, without the depth trace
            captured = CapturedInput()
            output, target = ctx.forward(model, batch)
        loss = ctx.loss(output, target)
        leaf = captured.tensor
        depth = weighted_depth(loss.grad_fn, leaf) if leaf is not None else None
        out_node = output.grad_fn if isinstance(output, torch.Tensor) else None
        linear = linear_from_input(out_node, leaf) if leaf is not None else None
        gated = gates(loss.grad_fn, grads.saturating)
        if loss.requires_grad:
            loss.backward()
    finally:
        grads.close()
        for hook in hooks:
            hook.remove()
    named = list(model.named_parameters())
    optimizer = ctx.make_optimizer(model)
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    # the weights before the step are the initial state itself: no copy of the weights is made
    before = {id(p): ctx.initial_state[name] for name, p in named}
    symmetric_rows = {}
    for m in model.modules():  # judged before the step moves the weights
        weight = m.weight if is_weighted(m) else None
        if isinstance(weight, nn.Parameter) and id(weight) in before:
            units = (lambda t: t.t()) if is_transposed_linear(m) else (lambda t: t)  # output units as rows
            if units(weight).shape[0] > 1:
                same_w = _rows_identical(units(before[id(weight)]), 1e-7)
                grad = weight.grad
                same_g = _rows_identical(units(grad), 1e-6) if grad is not None else same_w.new_ones(())
                symmetric_rows[m] = (same_w & same_g).float()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        again = ctx.loss(*ctx.forward(model, batch))
        again.backward()
        return again

    # a weight computed from other parameters (weight norm, spectral norm): its own scale is what
    # the layer multiplies by, taken before the step
    computed_rms = {
        m: _rms(_computed_weight(m))
        for m in model.modules()
        if is_weighted(m) and parametrize.is_parametrized(m, "weight")
    }
    # the loop's own clipping acts on the step (the update ratio); the gradient statistics stay raw
    clip_factor = clip_gradients(ctx, optimizer)
    step_optimizer(optimizer, closure)
    zero = torch.zeros((), device=ctx.device)
    owner = {id(p): names[m] for m in model.modules() for p in m.parameters(recurse=False)}
    rows: list[torch.Tensor] = []
    for _, p in named:  # [grad norm, weight norm, update norm, non-finite grads]: one pass each
        g = p.grad
        old = before[id(p)]
        rows.append(
            torch.stack(
                [
                    (norm32(g).float() / clip_factor if clip_factor is not None else norm32(g).float())
                    if g is not None
                    else zero,
                    norm32(old).float(),
                    diff_norm(p, old),
                    nonfinite_count(g) if g is not None else zero,
                ]
            )
        )
    # weighted layers, and leaf modules with weight matrices (LSTM, attention); a container's own
    # tensors (position embeddings, class tokens) are looked up or added, not multiplied: left out
    tracked_layers = [
        m
        for m in model.modules()
        if is_weighted(m) or (matrix_params(m) and is_leaf(m) and not isinstance(m, nn.Embedding))
    ]
    flags = grads.flags(ctx.device)
    symmetric = [symmetric_rows.get(m, zero) for m in tracked_layers]
    computed = [computed_rms.get(m, zero - 1) for m in tracked_layers]  # -1: a stored weight
    # the probe's one host transfer: every per-parameter statistic at once
    host = (
        torch.cat(
            [
                torch.stack(rows).reshape(-1) if rows else zero.new_zeros(0),
                torch.stack(symmetric) if symmetric else zero.new_zeros(0),
                torch.stack(computed) if computed else zero.new_zeros(0),
                flags,
                loss.detach().float().reshape(1),
            ]
        )
        .cpu()
        .tolist()
    )
    by_param = {id(p): host[i * 4 : i * 4 + 4] for i, (_, p) in enumerate(named)}
    offset = len(rows) * 4
    host_symmetric = host[offset : offset + len(symmetric)]
    offset += len(symmetric)
    host_computed = host[offset : offset + len(computed)]
    host_flags = host[offset + len(computed) : -1]
    params = [
        ParamStats(
            name=name,
            module=owner.get(id(p), ""),
            shape=tuple(p.shape),
            requires_grad=p.requires_grad,
            in_optimizer=id(p) in in_optimizer,
            has_grad=p.grad is not None,
            grad_norm=by_param[id(p)][0],
            weight_norm=by_param[id(p)][1],
            update_norm=by_param[id(p)][2],
            grad_nonfinite=int(by_param[id(p)][3]),
            trained_by_script=p.grad is None and name in ctx.script_gradients,
        )
        for name, p in named
    ]
    layers = []
    for m, sym, computed_weight_rms in zip(tracked_layers, host_symmetric, host_computed, strict=True):
        dense = is_weighted(m)
        tracked = layer_weights(m)
        fan_in, fan_out = fan_in_out(m) if dense else (0, 0)
        count = sum(p.numel() for p in tracked)
        grad_sq = sum(by_param[id(p)][0] ** 2 for p in tracked)
        weight_sq = sum(by_param[id(p)][1] ** 2 for p in tracked)
        update_sq = sum(by_param[id(p)][2] ** 2 for p in tracked)
        layers.append(
            LayerGrad(
                name=names[m],
                kind=type(m).__name__,
                grad_rms=math.sqrt(grad_sq / count) if any(p.grad is not None for p in tracked) else math.nan,
                weight_rms=computed_weight_rms if computed_weight_rms >= 0 else math.sqrt(weight_sq / count),
                update_ratio=math.sqrt(update_sq) / (math.sqrt(weight_sq) + 1e-30),
                symmetric=bool(sym),
                rows=int(tracked[0].shape[1] if is_transposed_linear(m) else tracked[0].shape[0]),
                in_optimizer=all(id(p) in in_optimizer for p in tracked),
                dense=dense,
                fan_in=fan_in,
                fan_out=fan_out,
            )
        )
    layers.sort(key=lambda layer: grads.order.get(layer.name, len(grads.order)))
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    return BackwardStats(
        loss=host[-1],
        params=params,
        layers=layers,
        depth_longest=depth[0] if depth else None,
        depth_shortest=depth[1] if depth else None,
        optimizer=type(optimizer).__name__,
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        grad_output_nonfinite=grads.flagged(host_flags),
        gates=gated,
        linear=linear,
        padding_lookups=[found for name, pad, ids in lookups if (found := _real_padding(name, pad, ids)) is not None],
    )


def _real_padding(name: str, pad: int, ids: torch.Tensor) -> tuple[str, int, float] | None:
    """(name, pad, share) when an embedding's padding id is used as a real token: it occurs in a
    batch of single ids per sample, or between other tokens in most sequences that hold it."""
    if ids.is_floating_point() or ids.numel() == 0:
        return None
    hits = ids == pad
    share = float(hits.float().mean())
    if share == 0:
        return None
    if ids.dim() <= 1 or marked_inside_rows(hits):
        return name, pad, share
    return None


def matrix_params(module: nn.Module) -> list[nn.Parameter]:
    """A module's own weight matrices (LSTM, attention projections...): what gradient flow tracks."""
    return [p for p in module.parameters(recurse=False) if p.dim() >= 2]


def _rms(t: torch.Tensor) -> torch.Tensor:
    return norm32(t).float() / math.sqrt(max(t.numel(), 1))


def _computed_weight(module: nn.Module) -> torch.Tensor:
    weight = module.weight  # computed by the parametrization on access
    assert isinstance(weight, torch.Tensor)
    return weight.detach()


def layer_weights(module: nn.Module) -> list[nn.Parameter]:
    """The parameters a layer's statistics are taken over: its `weight`, or, when that is computed
    from other parameters (weight norm, pruning), those parameters."""
    weight = getattr(module, "weight", None)
    if is_weighted(module) and isinstance(weight, nn.Parameter):
        return [weight]
    if parametrize.is_parametrized(module, "weight"):
        parametrizations = module.parametrizations
        assert isinstance(parametrizations, nn.ModuleDict)
        return list(parametrizations["weight"].parameters())
    return matrix_params(module) or [p for p in module.parameters(recurse=False)]
