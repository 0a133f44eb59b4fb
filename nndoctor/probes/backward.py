"""One backward pass and one optimizer step from the initial state.

Gives per-parameter gradient and weight norms, gradients that never arrive, the weight symmetry
test (identical rows with identical gradients stay identical forever), the depth of the autograd
graph in weighted layers, and per-layer update/weight ratios after the user's optimizer steps once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.context import Context, first_tensor, watch_input
from nndoctor.layers import fan_in_out, is_weighted, module_names
from nndoctor.registry import probe

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

    def layer(self, name: str) -> LayerGrad | None:
        return next((layer for layer in self.layers if layer.name == name), None)


def weighted_depth(root: Any, leaf: torch.Tensor) -> tuple[int, int] | None:
    """Longest and shortest count of weight ops on the paths from the loss back to the input.

    A plain chain has both equal; skip connections create much shorter paths. Paths into
    parameters (a weight's transpose, say) do not count: only those that reach `leaf`.
    """
    if root is None:
        return None
    longest: dict[Any, int | None] = {}
    shortest: dict[Any, int | None] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative post-order: deep nets overflow Python's recursion limit
        node, expanded = stack.pop()
        if node in longest:
            continue
        children = [c for c, _ in getattr(node, "next_functions", ()) if c is not None]
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in children if c not in longest)
            continue
        if getattr(node, "variable", None) is leaf:
            longest[node] = shortest[node] = 0
            continue
        reaching = [c for c in children if longest.get(c) is not None]
        if not reaching:
            longest[node] = shortest[node] = None
            continue
        own = 1 if type(node).__name__.rstrip("0123456789").removesuffix("Backward") in _WEIGHTED_NODES else 0
        longest[node] = own + max(longest[c] for c in reaching)  # type: ignore[type-var]
        shortest[node] = own + min(shortest[c] for c in reaching)  # type: ignore[type-var]
    if longest.get(root) is None:
        return None
    return longest[root], shortest[root]  # type: ignore[return-value]


@probe("init_backward", "one backward pass and one optimizer step at init", cost="backward")
def init_backward(ctx: Context) -> BackwardStats:
    # init_forward resets the shared working model, so it must run before this probe's backward
    order = _execution_order(ctx, ctx.model)
    model = ctx.fresh_model()
    batch = ctx.train_batches()[0]
    names = module_names(model)
    bad_grad_modules: list[torch.Tensor] = []
    bad_grad_names: list[str] = []

    def watch_grad(module: nn.Module, _inputs: Any, output: Any) -> None:
        out = first_tensor(output)
        if out is not None and out.requires_grad:
            name = names.get(module, type(module).__name__)

            def on_grad(grad: torch.Tensor) -> None:
                bad_grad_names.append(name)
                bad_grad_modules.append((~torch.isfinite(grad)).any().reshape(1))

            out.register_hook(on_grad)

    handles = [m.register_forward_hook(watch_grad) for m in model.modules() if next(m.children(), None) is None]
    try:
        with watch_input(model, requires_grad=True) as captured:  # lets the graph be traced to the input
            output, target = ctx.forward(model, batch)
        loss = ctx.loss(output, target)
        leaf = captured.tensor
        depth = weighted_depth(loss.grad_fn, leaf) if leaf is not None else None
        if loss.requires_grad:
            loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    named = list(model.named_parameters())
    optimizer = ctx.make_optimizer(model)
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    before = [p.detach().clone() for _, p in named]
    before_by_id = {id(p): old for (_, p), old in zip(named, before, strict=True)}
    optimizer.step()
    zero = torch.zeros((), device=ctx.device)
    owner = {id(p): names[m] for m in model.modules() for p in m.parameters(recurse=False)}
    rows: list[torch.Tensor] = []
    for (_, p), old in zip(named, before, strict=True):
        g = p.grad
        rows.append(
            torch.stack(
                [
                    g.detach().float().norm() if g is not None else zero,
                    old.float().norm(),
                    (p.detach() - old).float().norm(),
                    (~torch.isfinite(g)).sum().float() if g is not None else zero,
                ]
            )
        )
    layer_modules = [
        m for m in model.modules() if is_weighted(m) or (matrix_params(m) and not isinstance(m, nn.Embedding))
    ]
    layer_rows = [_layer_row(m, before_by_id, zero) for m in layer_modules]
    flags = torch.cat(bad_grad_modules).float() if bad_grad_modules else zero.reshape(0)
    # the probe's one host transfer: every per-parameter and per-layer statistic at once
    host = (
        torch.cat(
            [
                torch.stack(rows).reshape(-1) if rows else zero.reshape(0),
                torch.stack(layer_rows).reshape(-1) if layer_rows else zero.reshape(0),
                flags,
                loss.detach().float().reshape(1),
            ]
        )
        .cpu()
        .tolist()
    )
    host_params = [host[i * 4 : i * 4 + 4] for i in range(len(rows))]
    offset = len(rows) * 4
    host_layers = [host[offset + i * 4 : offset + i * 4 + 4] for i in range(len(layer_rows))]
    host_flags = host[offset + len(layer_rows) * 4 : -1]
    params = [
        ParamStats(
            name=name,
            module=owner.get(id(p), ""),
            shape=tuple(p.shape),
            requires_grad=p.requires_grad,
            in_optimizer=id(p) in in_optimizer,
            has_grad=p.grad is not None,
            grad_norm=vals[0],
            weight_norm=vals[1],
            update_norm=vals[2],
            grad_nonfinite=int(vals[3]),
        )
        for (name, p), vals in zip(named, host_params, strict=True)
    ]
    layers = []
    for m, vals in zip(layer_modules, host_layers, strict=True):
        dense = is_weighted(m)
        tracked = [m.weight] if dense else matrix_params(m)
        fan_in, fan_out = fan_in_out(m) if dense else (0, 0)
        layers.append(
            LayerGrad(
                name=names[m],
                kind=type(m).__name__,
                grad_rms=vals[0] if any(p.grad is not None for p in tracked) else math.nan,
                weight_rms=vals[1],
                update_ratio=vals[2],
                symmetric=bool(vals[3]),
                rows=int(tracked[0].shape[0]),
                in_optimizer=all(id(p) in in_optimizer for p in tracked),
                dense=dense,
                fan_in=fan_in,
                fan_out=fan_out,
            )
        )
    layers.sort(key=lambda layer: order.get(layer.name, len(order)))
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    result = BackwardStats(
        loss=host[-1],
        params=params,
        layers=layers,
        depth_longest=depth[0] if depth else None,
        depth_shortest=depth[1] if depth else None,
        optimizer=type(optimizer).__name__,
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        grad_output_nonfinite=[n for n, bad in zip(bad_grad_names, host_flags, strict=True) if bad],
    )
    model.zero_grad(set_to_none=True)
    return result


def matrix_params(module: nn.Module) -> list[nn.Parameter]:
    """A module's own weight matrices (LSTM, attention projections...): what gradient flow tracks."""
    return [p for p in module.parameters(recurse=False) if p.dim() >= 2]


def _layer_row(module: nn.Module, before: dict[int, torch.Tensor], zero: torch.Tensor) -> torch.Tensor:
    """[grad RMS, weight RMS, |update|/|weight|, symmetric] for one layer, on the device."""
    tracked = [module.weight] if is_weighted(module) else matrix_params(module)
    olds = [before[id(p)].float() for p in tracked]
    grads = [p.grad.float() for p in tracked if p.grad is not None]
    count = sum(p.numel() for p in tracked)
    grad_rms = torch.sqrt(sum(g.pow(2).sum() for g in grads) / count) if grads else zero
    weight_sq = sum(w.pow(2).sum() for w in olds)
    update_sq = sum((p.detach().float() - w).pow(2).sum() for p, w in zip(tracked, olds, strict=True))
    symmetric = zero
    if is_weighted(module) and olds[0].shape[0] > 1:
        w2 = olds[0].reshape(olds[0].shape[0], -1)
        same_w = (w2 - w2[0:1]).abs().max() <= 1e-7 * (w2.abs().max() + 1e-12)
        grad = module.weight.grad
        if grad is not None:
            g2 = grad.reshape(grad.shape[0], -1).float()
            same_g = (g2 - g2[0:1]).abs().max() <= 1e-6 * (g2.abs().max() + 1e-12)
        else:
            same_g = torch.ones((), dtype=torch.bool, device=zero.device)
        symmetric = (same_w & same_g).float()
    return torch.stack(
        [grad_rms, torch.sqrt(weight_sq / count), torch.sqrt(update_sq) / (torch.sqrt(weight_sq) + 1e-30), symmetric]
    )


def _execution_order(ctx: Context, model: nn.Module) -> dict[str, int]:
    """Weighted layers in forward order, taken from the init_forward probe."""
    try:
        sites = ctx.probe("init_forward").sites
    except Exception:  # noqa: BLE001 - fall back to definition order
        return {}
    order: dict[str, int] = {}
    for site in sites:
        order.setdefault(site.name, len(order))
    return order
