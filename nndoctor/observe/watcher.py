"""The listener behind `nndoctor watch`: records a training run into a `WatchedRun`.

It receives the events of `nndoctor.observe.hooks.observing` and keeps, per optimizer step, only
host-side counters (zero_grad, backward, batch and scheduler calls, the LR each step used, the
gradient tensors' identity); every tensor it looks at stays on the device:

- every backward: the loss tensor it ran on (detached: an alias, no computation on a step that is
  not sampled), kept until the next sample, where its value is read back and tested for NaN/Inf on
  the host;
- every `every` steps (and the first): per-parameter gradient and weight norms (`_foreach_norm`),
  the update norm of that step (a copy of the weights before it), the share of dead units at every
  ReLU call of that step's forward (a TorchFunctionMode entered at the model's `forward_start` and
  left when its forward returns; or, when the first step ran `nn.ReLU` modules only, a wrapper of
  `nn.ReLU.forward` set for that forward only), a batch checksum, plus the pending per-backward
  losses: stacked and read back with one `.tolist()`;
- after the first step the global module hooks are removed; only the model and the loss
  modules are still reported, through a wrapper of their class's `forward` (no module hook: their
  calls stay on torch's fast path). The hooks come back for one forward to localize a NaN/Inf.

- the other optimizers (a GAN's second one): only their gradient identity at each of their steps,
  with `zero_grad()` counted for the optimizer or the module (its parameters) it was called on;
- before the first step only: the last batch, to learn by identity which of its elements the loss
  compares with (the labels, for ND509).

Nothing here modifies a tensor, draws from an RNG or keeps a tensor alive longer than the next
sample (or, for that one batch, the first step). A step's counters count what happened since the
previous step.
"""

from __future__ import annotations

import math
import sys
import types
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from nndoctor.batches import batch_labels, output_loss
from nndoctor.observe.hooks import Listener, Observation, user_site
from nndoctor.observe.series import (
    GRAD_FRESH,
    GRAD_KEPT,
    GRAD_NONE,
    GRAD_UNKNOWN,
    GRAD_ZEROED,
    NonFinite,
    Sample,
    ValPass,
    WatchedRun,
    label_runs,
)

__all__ = ["Watcher"]

DEFAULT_EVERY = 10
MAX_LABELS = 100_000
MAX_BATCH_ITEMS = 8  # batch elements looked at for labels
FINGERPRINT_ELEMENTS = 4096
_RELUS: set[Any] = {
    torch.relu,
    torch.relu_,
    torch.nn.functional.relu,
    torch.nn.functional.relu_,
    torch.nn.functional.relu6,
    torch.Tensor.relu,
    torch.Tensor.relu_,
}
_MODE_SENSITIVE = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
_SCALING_GRAD_FNS = ("DivBackward0", "MulBackward0")


_Loss = nn.modules.loss._Loss


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        for item in value.values():
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _is_labels(value: Any) -> bool:
    return (
        isinstance(value, torch.Tensor)
        and value.ndim == 1
        and not value.is_floating_point()
        and not value.is_complex()
        and value.dtype is not torch.bool
    )


def _label_candidates(batch: Any) -> dict[Any, torch.Tensor]:
    """Every element of a tuple or dict batch that could hold class labels (a 1-d integer
    tensor), by index or key; which one does is learned from the loss (`Watcher._target_key`).
    (Called for every batch of a loader's first pass: a plain loop over a tuple's elements.)"""
    if isinstance(batch, (list, tuple)):
        found: dict[Any, torch.Tensor] = {}
        for i in range(1, min(len(batch), MAX_BATCH_ITEMS)):
            value = batch[i]
            if _is_labels(value):
                found[i] = value
        return found
    if isinstance(batch, dict):
        return {k: v for k, v in list(batch.items())[:MAX_BATCH_ITEMS] if _is_labels(v)}
    return {}


class _LoaderState:
    """Per loader: batches produced so far, its length (None: no len()), labels kept, and the
    batch index where keeping labels stops (the end of its first pass, 0 once MAX_LABELS are kept)."""

    __slots__ = ("collect_until", "labels", "length", "seen")

    def __init__(self, length: int | None) -> None:
        self.seen = 0
        self.length = length
        self.labels = 0
        self.collect_until = sys.maxsize if length is None else length


def _default_label_key(batch: Any) -> Any:
    """Where the labels are when no loss said so: `batch["labels"]`-like keys, or the tuple's
    labels (`nndoctor.batches.batch_labels`)."""
    labels = batch_labels(batch)
    return None if labels is None else _key_of(batch, labels)


def _key_of(batch: Any, value: Any) -> Any:
    """The key (dict batch) or index (tuple batch) of the element that is `value`, else None."""
    items = batch.items() if isinstance(batch, dict) else enumerate(batch) if isinstance(batch, (list, tuple)) else ()
    return next((k for k, v in items if v is value), None)


def _fn_name(fn_type: type) -> str:
    """The name of a loss's last operation from the type of its `grad_fn` ("none" without one)."""
    return "none" if fn_type is type(None) else fn_type.__name__


def _backward_kind(fn_type: type, own_output: bool) -> str:
    """What a backward of an accumulating step ran on: the loss itself (`own_output`: the loss
    module's or function's own result), the loss scaled down, or something else."""
    if own_output:
        return "unscaled"
    grad_fn = _fn_name(fn_type)
    if grad_fn in _SCALING_GRAD_FNS:
        return "scaled"
    if grad_fn.endswith("LossBackward0") or grad_fn.startswith(("NllLoss", "BinaryCrossEntropy")):
        return "unscaled"
    return "unknown"


def _all_finite(tensors: list[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


class _ReluMode(TorchFunctionMode):
    """Active during one sampled forward: measures the dead share of every ReLU output."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        output = func(*args, **(kwargs or {}))
        watcher = self.watcher
        if func in _RELUS and watcher._mode_on and isinstance(output, torch.Tensor):
            inside = watcher._relu_module if watcher._relu_module_calls else None
            if inside is None:
                watcher._functional_relu = True  # not inside an nn.ReLU module's forward
            watcher._relu_output(output, inside)
        return output


class _GradIdentity:
    """Which gradient tensor an optimizer's first parameter held at its previous step, and its
    version: a step's gradients are new (fresh), zeroed in place, or only added to (kept)."""

    def __init__(self) -> None:
        self.ref: weakref.ref[torch.Tensor] | None = None
        self.version = 0

    def pattern(self, params: list[torch.Tensor], zero_grads: int, first: bool) -> str:
        grad = None
        for p in params:  # a loop, not a generator: the first parameter has a gradient
            grad = p.grad
            if grad is not None:
                break
        if grad is None:
            self.ref = None
            return GRAD_NONE if params else GRAD_UNKNOWN
        previous = self.ref() if self.ref is not None else None
        if previous is not grad:  # a new weakref only when the gradient tensor is a new one
            self.ref = weakref.ref(grad)
        version = grad._version
        before, self.version = self.version, version
        if previous is None:
            return GRAD_UNKNOWN if first else GRAD_FRESH
        if previous is not grad:
            return GRAD_FRESH
        if zero_grads == 0 and version > before:
            return GRAD_KEPT
        return GRAD_ZEROED


class _OtherOptimizer:
    """An optimizer that is not the one followed: enough to tell whether its gradients are
    cleared between its steps (the same test as the followed one's, `_GradIdentity`)."""

    def __init__(self, ref: weakref.ref[torch.optim.Optimizer], params: list[torch.Tensor]) -> None:
        self.ref = ref
        self.params = params
        self.zero_grads = 0
        self.grads = _GradIdentity()
        self.record: dict[str, Any] = {}
        self.alone = 0  # its steps since the followed optimizer's last one

    def pattern(self) -> str:
        return self.grads.pattern(self.params, self.zero_grads, first=False)


HANDOVER_STEPS = 20  # steps another optimizer makes alone before the watch follows it instead


def _owning_modules(params: set[int]) -> list[nn.Module]:
    """The live modules holding every one of these parameters, outermost first (a one-off scan of
    the interpreter's objects, when a resume replaced the model the watch followed)."""
    import gc

    found = [
        obj for obj in gc.get_objects() if isinstance(obj, nn.Module) and params <= {id(p) for p in obj.parameters()}
    ]
    return sorted(found, key=lambda m: -sum(1 for _ in m.modules()))


def _per_element(output: torch.Tensor, reduction: Any, args: tuple[Any, ...]) -> torch.Tensor:
    """A validation loss as the mean reduction gives it: a `reduction="sum"` loss (a script that
    sums over the loader and divides by the dataset size itself) divided by its target's element
    count, so the per-epoch validation loss compares with the training loss."""
    value = output.detach().float().mean()
    if reduction == "sum" and len(args) >= 2 and isinstance(args[1], torch.Tensor) and args[1].numel() > 0:
        value = value / args[1].numel()
    return value


class Watcher(Listener):
    """Records a run; `result()` returns the `WatchedRun` so far, `finish()` the final one.

    model / optimizer: known up front (the Python API); otherwise the optimizer that steps first
    and the outermost module called with gradients whose parameters it updates.
    on_sample: called after every sample with the watcher (the live status line).
    """

    def __init__(
        self,
        every: int = DEFAULT_EVERY,
        *,
        model: nn.Module | None = None,
        optimizer: torch.optim.Optimizer | None = None,
        script: str | None = None,
        on_sample: Callable[[Watcher], None] | None = None,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, not {every!r}")
        self.every = every
        self.on_sample = on_sample
        self.run = WatchedRun(script=script, every=every, status="running")
        self.alerts: list[str] = []
        self.observation: Observation | None = None
        self._model_ref: weakref.ref[nn.Module] | None = weakref.ref(model) if model is not None else None
        self._optimizer_ref: weakref.ref[torch.optim.Optimizer] | None = (
            weakref.ref(optimizer) if optimizer is not None else None
        )
        self._params: list[torch.Tensor] = []
        self._sites: dict[int, str] = {}
        self._loss_modules: list[weakref.ref[nn.Module]] = []
        self._created_losses: list[weakref.ref[nn.Module]] = []  # every loss module built before the first step
        self._top_calls: list[weakref.ref[nn.Module]] = []  # depth-0 non-loss calls with grad, since last step
        # counters since the last step
        self._zero_grads = 0
        self._zeroed_after_backward = False
        self._backwards = 0
        self._batches = 0
        self._sched_calls = 0
        # per backward of the current step: the type of its last operation and whether it ran on
        # the loss module's or function's own output; the step's accumulation kind (scaled /
        # unscaled) is worked out from them at its `step_pre`, only when it had several backwards
        self._step_backs: list[tuple[type, bool]] = []
        # pending device values, read at the next sample: per backward since the last sample, its
        # step, the detached loss and the type of its last operation (the finiteness test runs on
        # the host values read back at the sample: no torch op here beyond the detach)
        self._pending: list[tuple[int, torch.Tensor, type]] = []
        self._last_loss_output: Any = None
        self._last_loss_module: str | None = None
        # sampled-step state
        self._sampling = False
        self._before: list[torch.Tensor] | None = None
        self._grad_stats: list[torch.Tensor] = []
        self._grad_present: list[bool] = []
        self._dead: dict[str, torch.Tensor] = {}
        self._relu_counts: dict[str, int] = {}
        self._fingerprint: torch.Tensor | None = None
        self._mode: _ReluMode | None = None
        self._mode_on = False
        # the next step is sampled: the ReLU mode goes on for its model forwards only (not for
        # the batch loading, the loss or the backward, which every torch call would pay for)
        self._due = False
        self._forward_mode = False  # the mode was entered by the model forward running now
        # ReLUs without the mode: when the first step (always sampled, under the mode) ran no
        # ReLU outside an `nn.ReLU` module, the later sampled forwards measure the outputs of
        # `nn.ReLU` modules through a wrapper of the class's `forward`, set for that forward only
        # (a TorchFunctionMode costs every torch call of the forward). Decided once, at the first
        # step: a functional relu first called after it is not measured then (documented).
        self._functional_relu = False  # a relu ran outside nn.ReLU.forward under the mode
        self._relu_decided = False
        self._relu_module_calls = 0  # nn.ReLU forwards running now (the wrapper's count)
        self._relu_tap: Callable[..., Any] | None = None  # the wrapper while it is set
        self._relu_module: nn.Module | None = None  # the nn.ReLU whose forward runs (under the tap)
        self._unnamed_relus: dict[str, int] = {}  # key -> id of a ReLU module measured before the model was known
        self._relu_tap_measures = False
        self._relu_original: Callable[..., Any] | None = None
        # gradient identity, for the zero_grad pattern
        self._grads = _GradIdentity()
        # loaders
        self._train_loader: weakref.ref[Any] | None = None
        self._train_key: int | None = None
        self._last_loader: weakref.ref[Any] | None = None
        self._loaders: dict[int, _LoaderState] = {}  # id(loader) -> its batches so far, length, labels kept
        # per loader, per batch element that could be the labels: the chunks of its first pass
        self._labels: dict[int, dict[Any, list[torch.Tensor]]] = {}
        # the batch element the loss compared with (by identity, before the first step), and
        # the last batch until then (dropped at the first step)
        self._target_key: Any = None
        self._default_key: Any = None
        self._probe_batch: Any = None
        self._train_seen = 0
        self._open_val: ValPass | None = None
        self._val_losses: list[torch.Tensor] = []
        self._val_model_losses: list[torch.Tensor] = []  # losses the model returned itself (output.loss)
        self._forward_training: bool | None = None  # mode of the last training forward since the last step
        # the other optimizers (a GAN's second one, one per module group): their gradient pattern
        self._others: dict[int, _OtherOptimizer] = {}
        self._mode_modules: list[nn.Module] = []
        # module -> id(an optimizer's parameter list) -> whether the module holds some of them
        self._module_params: weakref.WeakKeyDictionary[nn.Module, dict[int, bool]] = weakref.WeakKeyDictionary()
        self._val_since_train = False
        # NaN localization
        self._localize = False
        self._localized_module: str | None = None
        self._localized_weights = False
        self._module_names: dict[int, str] = {}
        self._finished = False
        self._started = False

    # ------------------------------------------------------------------ set-up
    def attach(self, observation: Observation) -> None:
        """Called right after `observing(watcher)` installed the hooks."""
        self.observation = observation
        model = self.model
        if model is not None:
            self._adopt_model(model)
        self._enter_mode()  # the first step is a sampled one: its forward measures the ReLUs
        self._set_relu_tap(measure=False)  # the mode measures; the tap tells module ReLUs apart

    @property
    def model(self) -> nn.Module | None:
        return self._model_ref() if self._model_ref is not None else None

    @property
    def optimizer(self) -> torch.optim.Optimizer | None:
        return self._optimizer_ref() if self._optimizer_ref is not None else None

    def _adopt_model(self, model: nn.Module) -> None:
        self._model_ref = weakref.ref(model)
        self.run.model = type(model).__name__
        self._module_names = {id(m): name or type(model).__name__ for name, m in model.named_modules()}
        if self._sites.get(id(model)):
            self.run.sites["model"] = self._sites[id(model)]
        # dropout and batch norm modules: read at validation calls, whose mode is theirs (a
        # `model.training = False` sets the attribute of the outermost module only)
        self._mode_modules = [m for m in model.modules() if isinstance(m, _MODE_SENSITIVE)]
        self.run.mode_sensitive = bool(self._mode_modules)
        params = list(model.parameters())
        self.run.model_params = sum(p.numel() for p in params)
        self.run.model_trainable = sum(p.numel() for p in params if p.requires_grad)
        self.run.model_layers = sum(1 for m in model.modules() if any(True for _ in m.parameters(recurse=False)))
        if params:
            self.run.device = str(params[0].device)
            self.run.dtype = str(params[0].dtype).replace("torch.", "")
        if self.observation is not None:
            self.observation.watch_module(model)

    def _adopt_optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        self._optimizer_ref = weakref.ref(optimizer)
        self.run.optimizer = type(optimizer).__name__
        if self._sites.get(id(optimizer)):
            self.run.sites["optimizer"] = self._sites[id(optimizer)]
        self._params = [p for group in optimizer.param_groups for p in group["params"]]
        model = self.model
        if model is None:
            owned = {id(p) for p in self._params}
            candidates = [ref() for ref in self._top_calls]
            for module in reversed(candidates):
                if module is not None and owned & {id(p) for p in module.parameters()}:
                    self._adopt_model(module)
                    model = module
                    break
        names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
        self.run.params = [names.get(id(p), f"param{i}") for i, p in enumerate(self._params)]
        self.run.param_sizes = [p.numel() for p in self._params]
        for ref in self._loss_modules + self._created_losses:
            loss = ref()
            if loss is not None:
                self._watch_loss(loss)
        self._created_losses = []
        if self.observation is not None:
            self.observation.set_forward_hooks(False)

    def _watch_loss(self, loss: nn.Module) -> None:
        """Keep seeing this loss module's calls once the global forward hooks are off: the training
        loss, and a validation loss of its own (`nn.CrossEntropyLoss(reduction="sum")` built for
        the evaluation). Not one inside the model (its calls are the model's)."""
        model = self.model
        if self.observation is None or (model is not None and any(m is loss for m in model.modules())):
            return
        self.observation.watch_module(loss)

    # ------------------------------------------------------------------ creation sites
    def module_created(self, module: nn.Module, site: str | None) -> None:
        if site is not None:
            self._sites[id(module)] = site
        if isinstance(module, _Loss):
            if self._started:
                self._watch_loss(module)
            else:
                self._created_losses.append(weakref.ref(module))

    def optimizer_created(self, optimizer: torch.optim.Optimizer, site: str | None) -> None:
        if site is not None:
            self._sites[id(optimizer)] = site

    def scheduler_created(self, scheduler: Any, site: str | None) -> None:
        optimizer = getattr(scheduler, "optimizer", None)
        mine = self.optimizer
        if mine is None or optimizer is mine:
            self.run.scheduler = type(scheduler).__name__
            if site is not None:
                self.run.sites["scheduler"] = site

    def loader_created(self, loader: Any, site: str | None) -> None:
        if site is not None:
            self._sites[id(loader)] = site

    # ------------------------------------------------------------------ forward passes
    def forward(self, module: nn.Module, args: tuple[Any, ...], output: Any, depth: int) -> None:
        # runs for the model and the loss module on every step: attribute lookups only, no call
        # that can be avoided (no property, no helper), no torch op unless the step is sampled
        if self._localize and torch.is_grad_enabled():
            self._check_module(module, args, output)
        if depth != 0:
            return
        if isinstance(module, _Loss):  # `_loss_output` inline: this runs at every step
            if self._probe_batch is not None and len(args) >= 2:
                self._learn_target(args[1])
            if not self._started and not any(r() is module for r in self._loss_modules):
                self._loss_modules.append(weakref.ref(module))  # watched once the first step starts the run
            self.run.loss = type(module).__name__
            self._last_loss_output = output
            if self._open_val is not None and isinstance(output, torch.Tensor):
                self._val_losses.append(_per_element(output, getattr(module, "reduction", None), args))
            return
        ref = self._model_ref
        model = ref() if ref is not None else None
        if module is not model:
            if model is None and torch.is_grad_enabled():
                self._top_calls.append(weakref.ref(module))
                del self._top_calls[:-8]
            return
        if self._forward_mode:
            self._forward_mode = False
            self._leave_mode()
            if self._relu_tap is not None:
                self._remove_relu_tap()
        grad_on = torch.is_grad_enabled()
        if self._open_val is not None and self._open_val.without_loader and grad_on:
            self._close_val()  # training resumed after a validation on tensors
        if self._open_val is None and not grad_on and not module.training and self._started:
            self._open_tensor_val()  # `model.eval()`, then `model(x_val)` under no_grad: no loader
        if self._open_val is not None:
            self._open_val.model_calls += 1
            self._open_val.training_calls += int(module.training or any(m.training for m in self._mode_modules))
            self._open_val.grad_calls += int(grad_on)
            own = output_loss(output)  # a model that returns its loss (HuggingFace style)
            if own is not None:
                self._val_model_losses.append(own.detach().float())
            return
        if not grad_on:
            return
        self.run.train_calls += 1
        self._forward_training = module.training
        if (self._due or self._mode_on) and self._fingerprint is None:  # the forward of a sampled step
            if self.run.output_classes is None and isinstance(output, torch.Tensor) and output.dim() == 2:
                self.run.output_classes = int(output.shape[1])
            x = _first_tensor(args)
            if x is None and self.observation is not None:
                x = _first_tensor(self.observation.forward_kwargs)  # model(**batch)
            if x is not None:
                flat = x.detach().reshape(-1)
                n = flat.numel()
                if n <= FINGERPRINT_ELEMENTS:  # head and tail are the whole batch: one sum, same value
                    total = flat.double().sum()
                    self._fingerprint = total + 3.0 * total + float(n)
                else:
                    head = flat[:FINGERPRINT_ELEMENTS].double()
                    tail = flat[-FINGERPRINT_ELEMENTS:].double()
                    self._fingerprint = head.sum() + 3.0 * tail.sum() + float(n)

    def forward_start(self, module: nn.Module) -> None:
        """Switched on for a sampled step only: its model forwards run under the ReLU mode."""
        if not self._due or self._mode_on or self._open_val is not None or not torch.is_grad_enabled():
            return
        if module is self.model:
            if self._relu_decided and not self._functional_relu and self._set_relu_tap(measure=True):
                self._forward_mode = True  # module ReLUs only: no mode (see `_set_relu_tap`)
                return
            self._enter_mode(reset=False)
            self._forward_mode = True

    def _learn_target(self, target: Any) -> None:
        """The batch element the loss compares with is the labels (before the first step)."""
        key = _key_of(self._probe_batch, target)
        if key is not None:
            self._target_key = key

    def functional_loss(self, name: str, output: Any) -> None:
        if self._probe_batch is not None and self.observation is not None:
            args = self.observation.functional_args
            if len(args) >= 2:
                self._learn_target(args[1])
        self.run.loss = self.run.loss or f"F.{name}"
        self._last_loss_output = output
        if self._open_val is not None and isinstance(output, torch.Tensor):
            kwargs = self.observation.functional_kwargs if self.observation is not None else {}
            args = self.observation.functional_args if self.observation is not None else ()
            self._val_losses.append(_per_element(output, kwargs.get("reduction"), args))

    def _relu_output(self, output: torch.Tensor, module: nn.Module | None = None) -> None:
        if not torch.is_grad_enabled() or output.ndim < 2 or self._open_val is not None:
            return
        # a ReLU module of the model is named by its place in it, the same whichever line of the
        # script calls the model (a helper's sweep, then the training loop); a functional relu
        # by the line that calls it
        name = self._module_names.get(id(module)) if module is not None else None
        if name is not None:
            site = f"module {name}"
        elif module is not None and not self._module_names:  # the first step, before the model is known
            site = f"module@{id(module)}"  # named when the sample is read (`_relu_name`)
            self._unnamed_relus[site] = id(module)
        else:
            site = user_site(None, sys._getframe(1)) or "relu"
            site = site.rsplit("/", 1)[-1]
        count = self._relu_counts.get(site, 0) + 1
        self._relu_counts[site] = count
        key = site if count == 1 else f"{site} #{count}"
        # a comparison records nothing for autograd: no no_grad() block needed
        out = output.detach()
        if out.is_floating_point():
            # a ReLU's output is >= 0 or NaN, so "some element > 0" is "the sum ignoring NaNs > 0"
            # (a sum of non-negative numbers is 0 only when all are, and overflows to +inf at
            # worst): one reduction, no full-size bool tensor; (N, C, H, W) through `any` took
            # ~0.5 ms for a 32x16x16x16 output on CPU, this ~30 us
            if out.ndim >= 4:  # (N, C, H, W...): a unit is a channel
                alive = out.nansum(dim=[0, *range(2, out.ndim)]) > 0
            else:  # (..., units)
                alive = out.reshape(-1, out.shape[-1]).nansum(0) > 0
        else:
            positive = out > 0
            if positive.ndim >= 4:
                alive = positive.flatten(2).any(2).any(0)
            else:
                alive = positive.reshape(-1, positive.shape[-1]).any(0)
        self._dead[key] = torch.rsub(alive.float().mean(), 1.0)  # 1 - share: not the Python-level __rsub__

    def _relu_name(self, key: str) -> str:
        """A ReLU module measured before the model was known, by its place in the model."""
        site, _, call = key.partition(" #")
        module_id = self._unnamed_relus.get(site)
        name = self._module_names.get(module_id) if module_id is not None else None
        if name is None:
            return key
        return f"module {name}" + (f" #{call}" if call else "")

    def _enter_mode(self, reset: bool = True) -> None:
        if self._mode is None:
            self._mode = _ReluMode(self)
            self._mode.__enter__()
        self._mode_on = True
        if reset:
            self._relu_counts = {}

    def _arm_sample(self) -> None:
        """The next step is sampled: measure the ReLUs of its model forwards, or of the whole
        step when the model is not known (nothing reports its forward's start)."""
        observation = self.observation
        if self.model is None or observation is None:
            self._enter_mode()
            return
        self._due = True
        self._relu_counts = {}
        observation.forward_starts = True

    def _disarm_sample(self) -> None:
        self._due = False
        self._forward_mode = False
        if self.observation is not None:
            self.observation.forward_starts = False

    def _set_relu_tap(self, measure: bool) -> bool:
        """Wrap `nn.ReLU.forward` (restored by `_remove_relu_tap`, at the latest when observing
        ends): it counts the module ReLU calls running, and with `measure` records their outputs
        (the same site and order as the mode would: `_relu_output` looks past this frame)."""
        original = nn.ReLU.__dict__.get("forward")
        if self._relu_tap is not None:
            self._relu_tap_measures = measure
            return True
        observation = self.observation
        if observation is None or not isinstance(original, types.FunctionType):
            return False
        watcher = self

        def forward(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
            watcher._relu_module_calls += 1
            outer, watcher._relu_module = watcher._relu_module, module
            try:
                output = original(module, *args, **kwargs)
            finally:
                watcher._relu_module_calls -= 1
                watcher._relu_module = outer
            if watcher._relu_tap_measures and isinstance(output, torch.Tensor):
                watcher._relu_output(output, module)
            return output

        if self._relu_original is None:  # once: observing's exit restores it whatever happens
            observation.on_remove(self._remove_relu_tap)
        self._relu_original = original
        self._relu_tap, self._relu_tap_measures = forward, measure
        nn.ReLU.forward = forward  # type: ignore[method-assign,assignment]
        return True

    def _remove_relu_tap(self) -> None:
        tap, self._relu_tap = self._relu_tap, None
        self._relu_tap_measures = False
        if tap is not None and nn.ReLU.__dict__.get("forward") is tap and self._relu_original is not None:
            nn.ReLU.forward = self._relu_original  # type: ignore[method-assign]

    def _leave_mode(self) -> None:
        self._mode_on = False
        mode = self._mode
        if mode is None:
            return
        if torch._C._len_torch_function_stack() > 0 and torch.overrides._get_current_function_mode() is mode:
            mode.__exit__(None, None, None)
            self._mode = None
        # else: a mode pushed later sits on top; ours stays inert (flag off) until finish()

    # ------------------------------------------------------------------ backward, zero_grad, data
    def backward(self, tensor: torch.Tensor) -> None:
        self._backwards += 1
        value = tensor.detach()
        if value.numel() != 1:
            value = value.float().mean()
        fn_type = type(tensor.grad_fn)
        self._pending.append((self.run.steps, value, fn_type))
        self._step_backs.append((fn_type, self._last_loss_output is tensor))

    def zero_grad(self, owner: Any, set_to_none: bool) -> None:
        # counted for the optimizer it was called on, or for the optimizers whose parameters
        # the module holds (`netD.zero_grad()` zeroes the discriminator's only)
        ref = self._optimizer_ref
        mine = ref() if ref is not None else None
        if mine is None or owner is mine or (isinstance(owner, nn.Module) and self._holds(owner, self._params)):
            self._zero_grads += 1
            if self._backwards:
                self._zeroed_after_backward = True
        if self._others:
            for other in self._others.values():
                if owner is other.ref() or (isinstance(owner, nn.Module) and self._holds(owner, other.params)):
                    other.zero_grads += 1

    def _holds(self, module: nn.Module, params: list[torch.Tensor]) -> bool:
        """The module holds some of these parameters (an optimizer's); the answer is cached per
        module and parameter list, so a `model.zero_grad()` per step costs two lookups."""
        if not params:
            return False
        answers = self._module_params.get(module)
        if answers is None:
            answers = self._module_params[module] = {}
        held = answers.get(id(params))
        if held is None:
            ids = {id(p) for p in module.parameters()}
            held = answers[id(params)] = any(id(p) in ids for p in params)
        return held

    def scheduler_step(self, scheduler: Any) -> None:
        mine = self.optimizer
        if mine is None or getattr(scheduler, "optimizer", None) is mine:
            self._sched_calls += 1

    def batch(self, loader: Any, batch: Any) -> None:
        if loader is None:
            return
        key = id(loader)
        state = self._loaders.get(key)
        if state is None:  # the first batch of this loader: len() once
            try:
                length = len(loader)
            except TypeError:
                length = None
            state = self._loaders[key] = _LoaderState(length)
        seen = state.seen
        state.seen = seen + 1
        if seen < state.collect_until:
            # first pass of this loader: keep what could be its labels (read at the end)
            candidates = _label_candidates(batch)
            if candidates:
                kept = self._labels.setdefault(key, {})
                for name, labels in candidates.items():
                    kept.setdefault(name, []).append(labels)
                state.labels += next(iter(candidates.values())).numel()
                if state.labels >= MAX_LABELS:
                    state.collect_until = 0
                if self._default_key is None:
                    self._default_key = _default_label_key(batch)
        if not self._started:
            self._probe_batch = batch
        train = self._train_loader() if self._train_loader is not None else None
        last = self._last_loader
        if last is None or last() is not loader:  # one weakref per loader change, not per batch
            self._last_loader = weakref.ref(loader)
        if loader is train:
            if not torch.is_grad_enabled():  # the training loader under no_grad: e.g. train accuracy
                self._other_batch(key, evaluating_train=True)
                return
        elif train is not None:
            self._other_batch(key, evaluating_train=False)
            return
        # a training batch (or any batch before the training loader is known)
        if self._open_val is not None:
            self._close_val()
        self._batches += 1
        if train is not None:
            length = state.length
            new_epoch = (length is not None and length > 0 and self._train_seen % length == 0) or (
                length is None and self._val_since_train
            )
            if new_epoch and self._train_seen > 0:
                self.run.epoch_starts.append(self.run.steps)
            self._train_seen += 1
        self._val_since_train = False

    def _other_batch(self, key: int, evaluating_train: bool) -> None:
        """A batch of a loader that is not the training one, or of the training one without
        gradients: part of a validation pass."""
        if (
            self._open_val is None
            or self._open_val.loader != self._sites.get(key)
            or self._open_val.train_data != evaluating_train
        ):
            self._close_val()
            self._open_val = ValPass(
                after_step=self.run.steps,
                epoch=max(1, len(self.run.epoch_starts)),
                loader=self._sites.get(key),
                batches=0,
                train_data=evaluating_train,
            )
            self._start_functional_losses()
        self._open_val.batches += 1

    def _open_tensor_val(self) -> None:
        """A validation pass that feeds the model tensors, not loader batches; only eval-mode calls
        without gradients open one, so a training-mode accuracy read on the step's own batch does not."""
        self._open_val = ValPass(
            after_step=self.run.steps,
            epoch=max(1, len(self.run.epoch_starts)),
            loader=None,
            batches=1,
            without_loader=True,
        )
        self._start_functional_losses()

    def _start_functional_losses(self) -> None:
        loss = self.run.loss
        if self._started and loss is not None and loss.startswith("F.") and self.observation is not None:
            # a functional loss (F.cross_entropy) is only seen under the loss mode: back on
            # for the validation pass (not for the training steps, which it would slow down)
            self.observation.start_functional_losses()

    def _close_val(self) -> None:
        vp = self._open_val
        if vp is None:
            return
        self._open_val = None
        observation = self.observation
        if self._started and observation is not None and observation.functional_losses:
            observation.stop_functional_losses()
        losses = self._val_losses or self._val_model_losses  # a loss the script called, else the model's own
        if losses:
            vp.loss = float(torch.stack([v.to(losses[0].device) for v in losses]).mean())
        self._val_losses = []
        self._val_model_losses = []
        # a pass that did not call the followed model but computed a loss evaluated another one (an
        # EMA copy of it): its loss still tells the train/validation gap
        if vp.model_calls or (losses and not vp.train_data and not vp.without_loader):
            self.run.val_passes.append(vp)
            self._val_since_train = True

    # ------------------------------------------------------------------ optimizer steps
    def step_pre(self, optimizer: torch.optim.Optimizer) -> None:
        if not self._started:
            given = self.optimizer
            if given is not None and optimizer is not given:
                return
            self._started = True
            self._probe_batch = None
            self._adopt_optimizer(optimizer)
            if self._last_loader is not None:
                self._train_loader = self._last_loader
                loader = self._train_loader()
                self._train_key = id(loader) if loader is not None else None
                self.run.epoch_starts = [0]
                self._train_seen = self._batches
                if loader is not None and self._sites.get(id(loader)):
                    self.run.sites["train_loader"] = self._sites[id(loader)]
                state = self._loaders.get(id(loader)) if loader is not None else None
                self.run.train_loader_length = state.length if state is not None else None
        ref = self._optimizer_ref
        if ref is None or optimizer is not ref():
            if not self._handed_over(optimizer):
                self._other_step(optimizer)
                return
        elif self._others:
            for other in self._others.values():
                other.alone = 0
        if self._open_val is not None:  # batches a step followed: not a validation pass
            self._open_val = None
            self._val_losses = []
            self._val_model_losses = []
        if self._mode_on or self._mode is not None:
            self._leave_mode()
        if self._relu_tap is not None:
            self._remove_relu_tap()
        if not self._relu_decided:  # the first step's forward ran under the mode
            self._relu_decided = True
        if self._due:
            self._disarm_sample()
        if self._localize:
            self._finish_localization()
        run = self.run
        step = run.steps
        if self._val_since_train and self._train_key is None:
            # no training loader to count epochs by: a validation pass ends one
            if not run.epoch_starts:
                run.epoch_starts.append(0)
            run.epoch_starts.append(step)
            self._val_since_train = False
        mode = self._forward_training
        if mode is not None:
            if mode:
                run.train_mode_steps += 1
            else:
                run.eval_mode_steps += 1
            self._forward_training = None
        groups = optimizer.param_groups
        if step == 0 and groups and isinstance(groups[0].get("initial_lr"), (int, float)):
            run.base_lr = float(groups[0]["initial_lr"])
        if len(groups) == 1:  # the usual case: no loop
            lr = groups[0]["lr"]
            run.lrs.append([lr if type(lr) is float else _as_float(lr)])
        else:
            run.lrs.append([lr if type(lr) is float else _as_float(lr) for lr in [g["lr"] for g in groups]])
        run.zero_grads.append(self._zero_grads)
        run.backwards.append(self._backwards)
        discarded = False
        if self._zeroed_after_backward:
            run.zeroed_after_backward += 1
            self._zeroed_after_backward = False
            discarded = self._backwards > 1
        run.batches.append(self._batches)
        run.scheduler_calls.append(self._sched_calls)
        run.grad_pattern.append(self._grads.pattern(self._params, self._zero_grads, step == 0))
        if discarded:
            run.discarded_steps += 1
        elif self._backwards > 1:
            run.accumulation_steps += 1
            kinds = [_backward_kind(fn, own) for fn, own in self._step_backs]
            if "scaled" in kinds:
                run.accumulation_scaled += 1
            elif kinds and all(k == "unscaled" for k in kinds):
                run.accumulation_unscaled += 1
        self._zero_grads = self._backwards = self._batches = self._sched_calls = 0
        self._step_backs = []
        if self._top_calls:
            self._top_calls = []
        self._sampling = step % self.every == 0
        if self._sampling:
            self._sample_before()

    def step_post(self, optimizer: torch.optim.Optimizer) -> None:
        ref = self._optimizer_ref
        if ref is None or optimizer is not ref():
            return
        sampled = self._sampling
        if sampled:
            self._sample_after()
        run = self.run
        steps = run.steps = run.steps + 1
        self._sampling = False
        if sampled and self.on_sample is not None:
            self.on_sample(self)
        if steps % self.every == 0:
            self._arm_sample()

    def _handed_over(self, optimizer: torch.optim.Optimizer) -> bool:
        """Follow `optimizer` from now on when it took over the training: the followed optimizer is
        gone (a resume into new model and optimizer objects) or has not stepped for HANDOVER_STEPS
        of this one's steps over parameters it does not hold. A GAN's two optimizers alternate and
        never hand over."""
        ref = self._optimizer_ref
        followed = ref() if ref is not None else None
        other = self._others.get(id(optimizer))
        alone = (other.alone if other is not None and other.ref() is optimizer else 0) + 1  # with this step
        if followed is not None:
            if alone < HANDOVER_STEPS:  # checked first: a GAN's other optimizer meets it at every step
                return False
            mine = {id(p) for p in self._params}
            if any(id(p) in mine for group in optimizer.param_groups for p in group["params"]):
                return False
        self._follow_new(optimizer)
        return True

    def _follow_new(self, optimizer: torch.optim.Optimizer) -> None:
        """Switch to a new optimizer and the model holding its parameters (the same class as the
        model followed so far, when there is one: a resume rebuilds it)."""
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        model = self.model
        if model is None or not owned & {id(p) for p in model.parameters()}:
            found = _owning_modules(owned)
            same = [m for m in found if type(m).__name__ == self.run.model]
            choices = same or found
            if choices:
                self._adopt_model(choices[0])
        other = self._others.pop(id(optimizer), None)
        if other is not None:  # its steps so far were another optimizer's: not a second one now
            self.run.other_optimizers = [r for r in self.run.other_optimizers if r is not other.record]
        self.run.handovers.append(self.run.steps)
        self._adopt_optimizer(optimizer)

    def _other_step(self, optimizer: torch.optim.Optimizer) -> None:
        """A step of an optimizer other than the one followed: its own gradient pattern. The backward
        passes so far fed this step (a GAN's generator loss, which also reaches the discriminator's
        weights): the followed optimizer's next step counts only those after it."""
        self._backwards = 0
        self._zeroed_after_backward = False
        self._step_backs = []
        other = self._others.get(id(optimizer))
        if other is None or other.ref() is not optimizer:
            params = [p for group in optimizer.param_groups for p in group["params"]]
            other = self._others[id(optimizer)] = _OtherOptimizer(weakref.ref(optimizer), params)
            other.record = {
                "optimizer": type(optimizer).__name__,
                "site": self._sites.get(id(optimizer)),
                "steps": 0,
                "kept": 0,
                "zero_grads": 0,
            }
            self.run.other_optimizers.append(other.record)
        pattern = other.pattern()
        other.alone += 1
        record = other.record
        record["steps"] += 1
        record["zero_grads"] += other.zero_grads
        record["kept"] += int(pattern == GRAD_KEPT and record["steps"] > 1)
        other.zero_grads = 0

    def _sample_before(self) -> None:
        params = self._params
        # no autograd record: the tensors need no detach() (one op each); the grad switch is
        # set directly, `torch.no_grad()`'s context object costs more than the norms of a small model
        grad_was = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            maybe = [p.grad for p in params]
            present = [g is not None for g in maybe]
            grads = [g for g in maybe if g is not None]
            # one call for the gradients and the weights: the same norms as two calls
            stats = list(torch._foreach_norm(grads + params)) if grads or params else []
            self._grad_stats = stats
            self._grad_present = present
            self._before = [p.clone() for p in params]
        finally:
            torch._C._set_grad_enabled(grad_was)

    def _sample_after(self) -> None:
        params = self._params
        run = self.run
        grad_was = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            values = list(self._grad_stats)
            before = self._before
            if before is not None and params:
                # in place on the copies (before - after: the same norm as after - before), no
                # new tensors
                torch._foreach_sub_(before, params)
                values += list(torch._foreach_norm(before))
            self._before = None
            dead_keys = list(self._dead)
            values += [self._dead[k] for k in dead_keys]
            has_fp = self._fingerprint is not None
            if has_fp:
                values.append(self._fingerprint)  # type: ignore[arg-type]
            pending = self._pending
            losses = [p[1] for p in pending]
            values += losses
            host = _read(values)
        finally:
            torch._C._set_grad_enabled(grad_was)
        n_grads = sum(self._grad_present)
        n_params = len(params)
        pos = 0
        grad_values = host[pos : pos + n_grads]
        pos += n_grads
        grad_iter = iter(grad_values)
        grad_norms: list[float | None] = [next(grad_iter) if present else None for present in self._grad_present]
        param_norms = host[pos : pos + n_params]
        pos += n_params
        update_norms = host[pos : pos + n_params] if n_params else None
        pos += n_params if n_params else 0
        dead = dict(zip(map(self._relu_name, dead_keys), host[pos : pos + len(dead_keys)], strict=True))
        pos += len(dead_keys)
        fingerprint = host[pos] if has_fp else None
        pos += int(has_fp)
        loss_values = host[pos : pos + len(losses)]
        pos += len(losses)
        step = run.steps
        sample = Sample(
            step=step,
            grad_norms=grad_norms,
            param_norms=param_norms,
            update_norms=update_norms,
            dead=dead,
            fingerprint=fingerprint,
            grads_finite=all(g is None or math.isfinite(g) for g in grad_norms),
            params_finite=all(math.isfinite(v) for v in param_norms),
        )
        run.samples.append(sample)
        steps = [p[0] for p in pending]
        self._record_losses(steps, loss_values)
        self._record_flags(steps, [_fn_name(p[2]) for p in pending], loss_values, sample)
        self._pending = []
        self._dead, self._fingerprint, self._grad_stats = {}, None, []
        self._live_alerts()

    def _record_losses(self, steps: list[int], values: list[float]) -> None:
        run = self.run
        sums: dict[int, list[float]] = {}
        for step, value in zip(steps, values, strict=True):
            sums.setdefault(step, []).append(value)
        for step in sorted(sums):
            while len(run.losses) < step:
                run.losses.append(None)
            vals = sums[step]
            mean = sum(vals) / len(vals)
            if len(run.losses) == step:
                run.losses.append(mean)
            else:
                run.losses[step] = mean

    def _record_flags(
        self,
        steps: list[int],
        grad_fns: list[str],
        loss_values: list[float],
        sample: Sample,
    ) -> None:
        run = self.run
        if run.nonfinite is not None:
            return
        for step, grad_fn, value in zip(steps, grad_fns, loss_values, strict=True):
            if math.isfinite(value):
                continue
            run.nonfinite = NonFinite(
                step=step,
                where="loss",
                module=run.loss,
                detail=f"the loss was the first NaN/Inf value seen (its last operation: {grad_fn})",
                loss_before=_last_finite(run.losses, step),
            )
            self._note(f"ND503 non-finite loss at step {step + 1}")
            self._arm_localization()
            return
        if not sample.grads_finite or not sample.params_finite:
            names = run.params
            which = "gradients" if not sample.grads_finite else "weights"
            values = sample.grad_norms if not sample.grads_finite else sample.param_norms
            first = next(
                (names[i] for i, v in enumerate(values) if v is not None and not math.isfinite(v)),
                None,
            )
            run.nonfinite = NonFinite(
                step=sample.step,
                where=which,
                module=first,
                detail=f"the {which} of {first} held NaN/Inf while the loss was finite",
                loss_before=_last_finite(run.losses, sample.step + 1),
                localized_at=sample.step,
            )
            self._note(f"ND503 non-finite {which} at step {sample.step + 1}")

    def _live_alerts(self) -> None:
        """Cheap host-side signs, for the live status (the report's verdicts come from the checks)."""
        run = self.run
        recent = run.grad_pattern[-3:]
        if len(run.grad_pattern) > 3 and recent == [GRAD_KEPT] * 3:
            self._note("ND501 gradients are not cleared between steps")
        if len(recent) == 3 and recent == [GRAD_NONE] * 3 and all(b > 0 for b in run.backwards[-3:]):
            self._note("ND501 every gradient is None at step()")
        prints = [s.fingerprint for s in run.samples[-3:] if s.fingerprint is not None]
        # `any(run.batches)` last and short-circuiting: a sum over every step would grow with the run
        if len(prints) == 3 and len(set(prints)) == 1 and all(b == 0 for b in run.batches[-3:]) and any(run.batches):
            self._note("ND510 the same batch at every step")
        if (
            run.steps >= 10
            and run.scheduler in ("StepLR", "MultiStepLR", "ExponentialLR")
            and all(c >= 1 for c in run.scheduler_calls[-5:])
            and run.lrs
            and run.lrs[-1][0] <= 0.1 * run.lrs[0][0]  # decayed as if per epoch, not sized in iterations
        ):
            self._note(f"ND502 {run.scheduler} stepped every batch")
        if run.accumulation_unscaled >= 3 and run.accumulation_scaled == 0:
            self._note("ND511 accumulated losses are not divided")

    # ------------------------------------------------------------------ NaN/Inf localization
    def _arm_localization(self) -> None:
        if self.observation is None or self.model is None:
            return
        self._localize = True
        self.observation.set_forward_hooks(True)

    def _check_module(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if self._localized_module is not None:
            return
        out = _first_tensor(output)
        if out is None or not out.is_floating_point() or bool(torch.isfinite(out.detach()).all()):
            return
        inputs = [a.detach() for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]
        if not _all_finite(inputs):
            return  # it only passed on a NaN/Inf it was given
        name = self._module_names.get(id(module), type(module).__name__)
        own = [p.detach() for p in module.parameters(recurse=False)]
        self._localized_module = f"{name} ({type(module).__name__})"
        self._localized_weights = bool(own) and not _all_finite(own)

    def _finish_localization(self) -> None:
        self._localize = False
        if self.observation is not None:
            self.observation.set_forward_hooks(False)
        nf = self.run.nonfinite
        if nf is None:
            return
        nf.localized_at = self.run.steps
        found = self._localized_module
        if found is None:
            nf.detail += "; on the next forward every module's output was finite: the loss computation produced it"
        elif self._localized_weights:
            nf.detail += (
                f"; by step {self.run.steps + 1} the weights of {found} were NaN/Inf (a bad update reached them)"
            )
            read = [s.step for s in self.run.samples if s.step < nf.step]
            if nf.where == "loss" and read and nf.step - read[-1] > 1:
                # the loss is read at every step, gradients only at sampled ones: a step between
                # whose loss was finite can have had the first NaN gradient, and its update the weights
                first, last = read[-1] + 2, nf.step
                between = f"step {first}" if first == last else f"steps {first}-{last}"
                nf.detail += (
                    f"; gradients are read every {self.every} steps (last at step {read[-1] + 1}, finite), so the "
                    f"first NaN/Inf was likely a gradient of {between}, whose loss was still finite, and its update "
                    "made the weights NaN"
                )
        else:
            nf.where, nf.module = "model output", found
            nf.detail = (
                f"on the next forward {found} was the first module to output NaN/Inf from finite inputs and weights "
                f"(the loss went bad at step {nf.step + 1})"
            )

    # ------------------------------------------------------------------ results
    def _note(self, alert: str) -> None:
        if alert not in self.alerts:
            self.alerts.append(alert)

    @property
    def last_loss(self) -> float | None:
        return _last_finite(self.run.losses, len(self.run.losses))

    def result(self) -> WatchedRun:
        """The run recorded so far (the live object; `finish()` completes it)."""
        return self.run

    def finish(self, status: str = "completed") -> WatchedRun:
        """Read back what is pending, close the open validation pass, compute the label runs."""
        if self._finished:
            return self.run
        self._finished = True
        self._leave_mode()
        self._remove_relu_tap()
        self._disarm_sample()
        if self._mode is not None:  # left inert under a user's mode: take it out now
            stack = torch.overrides._get_current_function_mode_stack()
            if self._mode in stack:
                above: list[Any] = []
                while torch.overrides._get_current_function_mode() is not self._mode:
                    above.append(torch._C._pop_torch_function_stack())
                self._mode.__exit__(None, None, None)
                for other in reversed(above):
                    torch._C._push_on_torch_function_stack(other)
            self._mode = None
        self._close_val()
        if self._pending:
            pending = self._pending
            with torch.no_grad():
                host = _read([p[1] for p in pending])
            steps = [p[0] for p in pending]
            self._record_losses(steps, host)
            if self.run.nonfinite is None:
                fake = Sample(step=self.run.steps, grad_norms=[], param_norms=[])
                self._record_flags(steps, [_fn_name(p[2]) for p in pending], host, fake)
            self._pending = []
        while len(self.run.losses) < self.run.steps:
            self.run.losses.append(None)
        found = self._labels.get(self._train_key, {}) if self._train_key is not None else {}
        key = self._target_key if self._target_key in found else self._default_key
        chunks = found.get(key, [])
        if chunks:
            labels = torch.cat([c.reshape(-1).to("cpu") for c in chunks]).tolist()
            self.run.label_runs = label_runs(labels[:MAX_LABELS])
        self._labels = {}
        self.run.status = status
        return self.run


def _as_float(value: Any) -> float:
    if isinstance(value, torch.Tensor):
        return float(value.detach().reshape(-1)[0])
    return float(value)


def _read(values: list[torch.Tensor]) -> list[float]:
    """One host transfer for a list of 0-d tensors (bools and floats, any device)."""
    if not values:
        return []
    device = values[0].device
    if not all(v.ndim == 0 and v.device == device for v in values):
        stacked = torch.stack([v.detach().reshape(()).to(device=device, dtype=torch.float64) for v in values])
        return [float(x) for x in stacked.tolist()]
    # one stack per dtype, then one cat: `torch.stack` of mixed dtypes (the float64 batch
    # checksum among float32 norms) takes a slow path, about 6x a same-dtype stack on CPU; each
    # value converts to float64 exactly either way, and the cat keeps it one transfer
    groups: dict[torch.dtype, list[int]] = {}
    for i, v in enumerate(values):
        groups.setdefault(v.dtype, []).append(i)
    if len(groups) == 1:
        return [float(x) for x in torch.stack(values).to(dtype=torch.float64).tolist()]
    order = [i for indices in groups.values() for i in indices]
    parts = [torch.stack([values[i] for i in indices]).to(dtype=torch.float64) for indices in groups.values()]
    host: list[float] = [0.0] * len(values)
    for i, x in zip(order, torch.cat(parts).tolist(), strict=True):
        host[i] = float(x)
    return host


def _last_finite(losses: list[float | None], before: int) -> float | None:
    for value in reversed(losses[:before]):
        if value is not None and math.isfinite(value):
            return value
    return None


def script_name(path: str | Path) -> str:
    return Path(path).name
