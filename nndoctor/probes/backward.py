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

from nndoctor.context import Context, first_tensor, with_grad_input
from nndoctor.errors import Skip
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
    model = ctx.fresh_model()
    batch = ctx.train_batches()[0]
    try:
        batch, leaf = with_grad_input(batch)  # so the graph's paths can be traced to the input
    except Skip:
        leaf = None
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
        output, target = ctx.forward(model, batch)
        loss = ctx.loss(output, target)
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
    layer_rows: list[torch.Tensor] = []
    layer_modules = [m for m in model.modules() if is_weighted(m)]
    for module in layer_modules:
        w = before_by_id[id(module.weight)]
        g = module.weight.grad
        w2 = w.reshape(w.shape[0], -1).float()
        same_w = (
            (w2 - w2[0:1]).abs().max() <= 1e-7 * (w2.abs().max() + 1e-12)
            if w2.shape[0] > 1
            else torch.tensor(False, device=w.device)
        )
        if g is not None and w2.shape[0] > 1:
            g2 = g.reshape(g.shape[0], -1).float()
            same_g = (g2 - g2[0:1]).abs().max() <= 1e-6 * (g2.abs().max() + 1e-12)
        else:
            same_g = torch.tensor(g is None, device=w.device)
        gnorm = g.float().pow(2).mean().sqrt() if g is not None else zero
        layer_rows.append(
            torch.stack(
                [
                    gnorm,
                    w2.pow(2).mean().sqrt(),
                    (module.weight.detach().float() - w.float()).norm() / (w.float().norm() + 1e-30),
                    (same_w & same_g).float(),
                ]
            )
        )
    flags = torch.cat(bad_grad_modules) if bad_grad_modules else None
    host_params = torch.stack(rows).cpu().tolist() if rows else []  # one transfer per table
    host_layers = torch.stack(layer_rows).cpu().tolist() if layer_rows else []
    host_flags = flags.cpu().tolist() if flags is not None else []
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
    order = _execution_order(ctx, model)
    layers = [
        LayerGrad(
            name=names[m],
            kind=type(m).__name__,
            grad_rms=vals[0] if m.weight.grad is not None else math.nan,
            weight_rms=vals[1],
            update_ratio=vals[2],
            symmetric=bool(vals[3]),
            rows=int(m.weight.shape[0]),
            in_optimizer=id(m.weight) in in_optimizer,
            fan_in=fan_in_out(m)[0],
            fan_out=fan_in_out(m)[1],
        )
        for m, vals in zip(layer_modules, host_layers, strict=True)
    ]
    layers.sort(key=lambda layer: order.get(layer.name, len(order)))
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    result = BackwardStats(
        loss=float(loss.detach()),
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
