"""Probes that compare model behaviours: train vs eval mode, and sample vs sample in a batch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from nndoctor.batches import first_tensor, sample_count
from nndoctor.context import Context
from nndoctor.errors import Skip
from nndoctor.layers import BATCH_NORMS, DROPOUTS, module_names
from nndoctor.probe import probe
from nndoctor.probes._inputs import watch_input
from nndoctor.probes.loop import eval_mode


@dataclass
class ModeStats:
    has_dropout: bool
    has_batchnorm: bool
    eval_repeat_diff: float  # max |eval(x) - eval(x)|, relative to the output scale
    train_eval_diff: float  # max |train(x) - eval(x)|, relative to the output scale
    output_scale: float
    # the random torch functions an eval-mode forward called: dropout that ignores eval mode
    # (`F.dropout(x, p)`) or sampling (`torch.randn_like`: a VAE's reparameterization)
    eval_dropout_calls: list[str] = field(default_factory=list)
    eval_sampling_calls: list[str] = field(default_factory=list)
    eval_nonfinite: int = 0  # NaN/Inf entries of the eval-mode output (no gradients)
    train_nonfinite: int = 0  # and of the training-mode output of the same batch
    # BatchNorm layers whose scale (weight, gamma) is all zero: they output their bias in either mode
    zero_scale_batchnorms: list[str] = field(default_factory=list)


# dropout-like: units zeroed at random; `training` is the functional's third argument
# (uniform draws are how a hand-written dropout mask is made: `torch.rand_like(x) > p`)
_DROPOUTS = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"}
_MASKS = {"bernoulli", "rand", "rand_like"}
_SAMPLING = {"randn", "randn_like", "normal", "randint", "randint_like", "multinomial", "poisson"}


class _RandomCalls(TorchFunctionMode):
    """Records the random torch functions called under it; every call goes through unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.dropout: set[str] = set()
        self.sampling: set[str] = set()

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in _DROPOUTS:
            training = kwargs.get("training", args[2] if len(args) > 2 else True)
            if training is True:
                self.dropout.add(name)
        elif name in _MASKS:
            self.dropout.add(name)
        elif name in _SAMPLING:
            self.sampling.add(name)
        return func(*args, **kwargs)


@probe("train_eval", "outputs in train and eval mode", cost="forward")
def train_eval(ctx: Context, model: nn.Module) -> ModeStats:
    batch = ctx.train_batches()[0]
    calls = _RandomCalls()
    with torch.no_grad():
        model.eval()
        with calls:
            first = first_tensor(ctx.forward(model, batch)[0])
        second = first_tensor(ctx.forward(model, batch)[0])
        model.train()
        trained = first_tensor(ctx.forward(model, batch)[0])
    if first is None or second is None or trained is None:
        raise Skip("the model output holds no tensor to compare")
    first, second, trained = first.float(), second.float(), trained.float()
    scale = first.abs().mean().clamp_min(1e-12)
    # the second eval forward runs outside the recording mode, as inference does: a torch function
    # mode turns off fast paths (nn.TransformerEncoderLayer's), so only this one takes them
    bad_eval = torch.maximum((~torch.isfinite(first)).sum(), (~torch.isfinite(second)).sum()).float()
    bad_train = (~torch.isfinite(trained)).sum().float()
    host = torch.stack(
        [(first - second).abs().max() / scale, (trained - first).abs().max() / scale, scale, bad_eval, bad_train]
    ).cpu()
    modules = list(model.modules())
    return ModeStats(
        has_dropout=any(isinstance(m, DROPOUTS) and m.p > 0 for m in modules),
        has_batchnorm=any(isinstance(m, BATCH_NORMS) for m in modules),
        eval_repeat_diff=float(host[0]),
        train_eval_diff=float(host[1]),
        output_scale=float(host[2]),
        eval_dropout_calls=sorted(calls.dropout),
        eval_sampling_calls=sorted(calls.sampling),
        eval_nonfinite=int(host[3]),
        train_nonfinite=int(host[4]),
        zero_scale_batchnorms=[
            name
            for name, m in model.named_modules()
            if isinstance(m, BATCH_NORMS) and isinstance(m.weight, torch.Tensor) and not bool(m.weight.detach().any())
        ],
    )


@dataclass
class BatchNormLayers:
    """The BatchNorm layers one forward pass calls, in call order, and whether each normalizes over
    positions as well as the batch (images, sequences: more values per channel than samples)."""

    names: list[str]
    spatial: list[bool]
    # layers whose running statistics never move (momentum=0 with track_running_stats): eval mode
    # normalizes with their initial mean 0 and variance 1 forever
    frozen_statistics: list[str] = field(default_factory=list)


@probe("batchnorm_layers", "the BatchNorm layers a forward pass calls", cost="forward")
def batchnorm_layers(ctx: Context, model: nn.Module) -> BatchNormLayers:
    # in eval mode: a training batch BatchNorm refuses in training mode (one sample) still runs, and
    # the running statistics are left alone
    norms = {m for m in model.modules() if isinstance(m, BATCH_NORMS)}
    if not norms:
        return BatchNormLayers([], [])
    names = module_names(model)
    called: dict[nn.Module, bool] = {}

    def hook(module: nn.Module, inputs: tuple[Any, ...]) -> None:
        x = first_tensor(inputs)
        if module not in called and x is not None:
            called[module] = x.dim() > 2

    handles = [m.register_forward_pre_hook(hook) for m in norms]
    try:
        with torch.no_grad(), eval_mode(model):
            ctx.forward(model, ctx.train_batches()[0])
    finally:
        for handle in handles:
            handle.remove()
    frozen = [
        names.get(m, type(m).__name__) for m in called if m.track_running_stats and getattr(m, "momentum", None) == 0
    ]
    return BatchNormLayers([names.get(m, type(m).__name__) for m in called], list(called.values()), frozen)


@dataclass
class IndependenceStats:
    batch_size: int
    probed_sample: int
    leaking_samples: list[int]  # other samples whose inputs change the probed sample's output
    leak_share: float  # gradient mass on other samples / gradient mass on the probed sample


@contextlib.contextmanager
def _embedding_output_as_leaf(model: nn.Module) -> Iterator[list[torch.Tensor]]:
    """For token-id inputs: the first embedding's output replaced by a differentiable leaf."""
    found: list[torch.Tensor] = []
    embeddings = [m for m in model.modules() if isinstance(m, (nn.Embedding, nn.EmbeddingBag))]

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> Any:
        if found or not isinstance(output, torch.Tensor) or not output.is_floating_point():
            return None
        leaf = output.detach().clone().requires_grad_(True)
        found.append(leaf)
        return leaf

    handles = [embeddings[0].register_forward_hook(hook)] if embeddings else []
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()


def _batch_axis(tensor: torch.Tensor, size: int) -> int | None:
    """The dimension holding the batch's samples: the first, or the second of a sequence-first
    [T, B, ...] tensor. No other: a [B*T, V] output whose vocabulary happens to be B long has no
    sample axis."""
    if tensor.dim() >= 1 and tensor.shape[0] == size:
        return 0
    if tensor.dim() >= 3 and tensor.shape[1] == size:
        return 1
    return None


@probe("batch_independence", "gradient of one sample's output w.r.t. other samples", cost="backward")
def batch_independence(ctx: Context, model: nn.Module) -> IndependenceStats:
    """Probed at the first and the last sample: a mix-up can run one way only (sample i sees the
    samples after it, say), so one end alone can look clean."""
    model.eval()  # batch norm in train mode mixes samples by design
    batch = ctx.train_batches()[0]
    with watch_input(model, requires_grad=True) as captured, _embedding_output_as_leaf(model) as embedded:
        output = first_tensor(ctx.forward(model, batch)[0])
    model.train()
    x = captured.tensor if captured.tensor is not None else (embedded[0] if embedded else None)
    if x is None:
        reason = "integer ids (e.g. tokens) with no embedding layer" if captured.integer else "not a tensor"
        raise Skip(f"the model's input is {reason}: no input gradient exists")
    # a sequence-first model ([T, B, ...] inside, or batches collated so) is probed along the axis
    # that holds the samples: the loader's batch size when the tensors have it, else the targets'
    sizes = [size for size in (ctx.data.loader_batch_size, sample_count(batch), x.shape[0]) if size]
    if output is None:
        raise Skip("the model output holds no tensor")
    axes = [(size, _batch_axis(x, size), _batch_axis(output, size)) for size in sizes]
    n, in_axis, out_axis = next((found for found in axes if None not in found), axes[0])
    if n < 2:
        raise Skip("the first batch holds a single sample")
    if in_axis is None or out_axis is None:
        where = f"the input {list(x.shape)}" if in_axis is None else f"the output {list(output.shape)}"
        raise Skip(f"{where} has no dimension of the batch size {n}")
    worst: IndependenceStats | None = None
    for sample in (0, n - 1):
        sample_output = output.select(out_axis, sample)
        weights = torch.randn(sample_output.shape, generator=torch.Generator().manual_seed(0)).to(output.device)
        (grad,) = torch.autograd.grad((sample_output.float() * weights).sum(), x, allow_unused=True, retain_graph=True)
        if grad is None:
            stats = IndependenceStats(n, sample, [], 0.0)
        else:
            per_sample = grad.movedim(in_axis, 0).reshape(n, -1).float().abs().sum(dim=1).cpu()
            others = [j for j in range(n) if j != sample and per_sample[j] > 0]
            own = float(per_sample[sample])
            leak = float(per_sample.sum() - per_sample[sample])
            stats = IndependenceStats(n, sample, others, leak / own if own > 0 else (float("inf") if leak else 0.0))
        if worst is None or stats.leak_share > worst.leak_share:
            worst = stats
    assert worst is not None
    return worst
