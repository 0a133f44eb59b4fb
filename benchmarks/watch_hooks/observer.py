"""A prototype observer for unmodified training scripts, built only from the hooks measured in e01-e08.

Not nndoctor's `watch` feature: an experiment that the note docs/watch-hooks.md uses to check that
the recommended design captures the right objects (e11), leaves results bit-identical (e09) and
costs little (e10). Everything is installed with `install()` and restored with `uninstall()`.

What it installs:
- global forward pre/post hooks: a depth counter finds the outermost module calls (the model, and
  loss modules, told apart by nn.modules.loss._Loss), with grad mode and training flag;
- global optimizer step pre/post hooks: the step counter, the LR actually used, and every `every`
  steps grad/param norms with torch._foreach_norm and one host transfer; the first pre-hook also
  snapshots what was seen so far (the capture) and can stop the script;
- Tensor.backward: the loss tensor (kept as a detached reference, read at sampled steps only);
- Optimizer.zero_grad and Module.zero_grad: counted between steps;
- LRScheduler.step (and the schedulers that define their own step): counted, outermost call only,
  calls from inside a scheduler's __init__ ignored;
- DataLoader.__init__ (creation site), DataLoader.__iter__ and _BaseDataLoaderIter.__next__ (which
  loader fed the batches before each step; the first epoch's labels of the training loader);
- nn.Module.__init__ / Optimizer.__init__: creation sites (file:line in the script);
- until the first optimizer step only: a TorchFunctionMode that records functional losses.

It never touches the global RNG, never modifies a tensor, and every hook returns None.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.optim import lr_scheduler
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, RandomSampler
from torch.utils.data import dataloader as dl

F = torch.nn.functional
FUNCTIONAL_LOSSES = {
    F.cross_entropy,
    F.nll_loss,
    F.mse_loss,
    F.l1_loss,
    F.smooth_l1_loss,
    F.huber_loss,
    F.binary_cross_entropy,
    F.binary_cross_entropy_with_logits,
    F.kl_div,
}
TORCH_DIR = torch.__file__.rsplit("/", 1)[0]


class StopTraining(BaseException):
    """Raised from the first step pre-hook when the observer only captures."""


class _LossMode(TorchFunctionMode):
    def __init__(self, observer: Observer) -> None:
        super().__init__()
        self.observer = observer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in FUNCTIONAL_LOSSES and self.observer._depth == 0:  # not the call inside a loss module
            self.observer._functional_losses.append(func.__name__)
        return func(*args, **(kwargs or {}))


class Observer:
    def __init__(
        self, every: int = 10, stop_at_first_step: bool = False, script: str | None = None, narrow: bool = True
    ) -> None:
        self.every = every
        self.narrow = narrow  # after the capture: drop the global module hooks, hook the model instance only
        self.model_calls: dict[tuple[bool, bool], int] = {}  # (training, grad enabled) -> calls, after capture
        self.stop_at_first_step = stop_at_first_step
        self.script = script
        self.step = 0
        self.capture: dict[str, Any] | None = None
        self.samples: list[dict[str, Any]] = []
        self.lrs: list[float] = []
        self.zero_grad_calls_per_step: list[int] = []
        self.scheduler_steps_per_step: list[int] = []
        self.batches_per_step: list[int] = []  # DataLoader batches fetched since the previous step
        self._batches = 0
        self.first_epoch_labels: list[int] = []  # the training loader's, in the order its batches came
        self._labels: dict[int, list[int]] = {}  # loader id -> labels of its first pass
        self._passes: dict[int, int] = {}  # loader id -> times iterated
        self._depth = 0
        self._top_calls: list[tuple[nn.Module, bool, bool]] = []  # (module, grad enabled, training)
        self._functional_losses: list[str] = []
        self._last_loss: torch.Tensor | None = None
        self._loss_grad_fn: str | None = None
        self._loaders: list[weakref.ref] = []
        self._train_loader: weakref.ref | None = None
        self._batch_loader: weakref.ref | None = None
        self._sites: dict[int, str] = {}
        self._zero_grads = 0
        self._sched_steps = 0
        self._sched_depth = 0
        self._in_sched_init = 0
        self._undo: list[Any] = []
        self._mode: _LossMode | None = None
        self._model_ref: weakref.ref | None = None
        self._global_module_hooks: list[Any] = []

    # ---------------------------------------------------------------- install / uninstall
    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        original = owner.__dict__[name]
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, original))

    def install(self) -> Observer:
        obs = self
        self._global_module_hooks = []
        if self.capture is None or not self.narrow:
            self._global_module_hooks = [
                module_hooks.register_module_forward_pre_hook(self._forward_pre),
                module_hooks.register_module_forward_hook(self._forward_post),
            ]
        self._undo.append(self._remove_global_module_hooks)
        if self.capture is not None and self.narrow and self._model_ref is not None and self._model_ref() is not None:
            self._undo.append(self._model_ref().register_forward_pre_hook(self._model_pre).remove)
        self._undo.append(register_optimizer_step_pre_hook(self._step_pre).remove)
        self._undo.append(register_optimizer_step_post_hook(self._step_post).remove)

        tensor_backward = torch.Tensor.backward

        def backward(tensor, *args, **kwargs):
            if obs._depth == 0:
                obs._last_loss = tensor.detach()
                obs._loss_grad_fn = type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None
            return tensor_backward(tensor, *args, **kwargs)

        self._patch(torch.Tensor, "backward", backward)

        opt_zero_grad = torch.optim.Optimizer.zero_grad
        module_zero_grad = nn.Module.zero_grad

        def optimizer_zero_grad(self_, *args, **kwargs):
            obs._zero_grads += 1
            return opt_zero_grad(self_, *args, **kwargs)

        def module_zero_grad_(self_, *args, **kwargs):
            obs._zero_grads += 1
            return module_zero_grad(self_, *args, **kwargs)

        self._patch(torch.optim.Optimizer, "zero_grad", optimizer_zero_grad)
        self._patch(nn.Module, "zero_grad", module_zero_grad_)

        for cls in (
            lr_scheduler.LRScheduler,
            lr_scheduler.ReduceLROnPlateau,
            lr_scheduler.SequentialLR,
            lr_scheduler.ChainedScheduler,
            lr_scheduler.CosineAnnealingWarmRestarts,
        ):
            self._patch(cls, "step", self._traced_scheduler_step(cls.__dict__["step"]))
        sched_init = lr_scheduler.LRScheduler.__init__

        def scheduler_init(self_, *args, **kwargs):
            obs._in_sched_init += 1
            try:
                return sched_init(self_, *args, **kwargs)
            finally:
                obs._in_sched_init -= 1

        self._patch(lr_scheduler.LRScheduler, "__init__", scheduler_init)

        module_init, opt_init, loader_init = nn.Module.__init__, torch.optim.Optimizer.__init__, DataLoader.__init__

        def module_init_(self_, *args, **kwargs):
            module_init(self_, *args, **kwargs)
            obs._sites[id(self_)] = obs._site(self_)

        def opt_init_(self_, *args, **kwargs):
            opt_init(self_, *args, **kwargs)
            obs._sites[id(self_)] = obs._site(self_)

        def loader_init_(self_, *args, **kwargs):
            loader_init(self_, *args, **kwargs)
            obs._sites[id(self_)] = obs._site(self_)
            obs._loaders.append(weakref.ref(self_))

        self._patch(nn.Module, "__init__", module_init_)
        self._patch(torch.optim.Optimizer, "__init__", opt_init_)
        self._patch(DataLoader, "__init__", loader_init_)

        loader_iter, iter_next = DataLoader.__iter__, dl._BaseDataLoaderIter.__next__

        def loader_iter_(self_):
            iterator = loader_iter(self_)
            iterator._observer_loader = weakref.ref(self_)
            obs._passes[id(self_)] = obs._passes.get(id(self_), 0) + 1
            return iterator

        def iter_next_(self_):
            batch = iter_next(self_)
            ref = getattr(self_, "_observer_loader", None)
            obs._batch_loader = ref
            obs._batches += 1
            key = id(ref()) if ref is not None else None
            if key is not None and obs._passes.get(key) == 1:  # first pass only: labels as a Python list
                labels = batch[1] if isinstance(batch, (list, tuple)) and len(batch) > 1 else None
                if isinstance(labels, torch.Tensor) and labels.ndim == 1 and not labels.is_floating_point():
                    buffer = obs._labels.setdefault(key, [])
                    if len(buffer) < 100_000:
                        buffer.extend(labels.tolist())
            return batch

        self._patch(DataLoader, "__iter__", loader_iter_)
        self._patch(dl._BaseDataLoaderIter, "__next__", iter_next_)

        if self.capture is None:  # re-installed after the capture: no mode
            self._mode = _LossMode(self)
            self._mode.__enter__()
        return self

    def uninstall(self) -> None:
        self._leave_mode()
        while self._undo:
            self._undo.pop()()

    def _remove_global_module_hooks(self) -> None:
        for handle in self._global_module_hooks:
            handle.remove()
        self._global_module_hooks = []

    def _model_pre(self, module: nn.Module, args: Any) -> None:
        key = (module.training, torch.is_grad_enabled())
        self.model_calls[key] = self.model_calls.get(key, 0) + 1

    def _leave_mode(self) -> None:
        if self._mode is not None:
            self._mode.__exit__(None, None, None)
            self._mode = None

    # ---------------------------------------------------------------- helpers
    def _site(self, instance: Any) -> str | None:
        frame = sys._getframe(2)
        while frame is not None:
            code = frame.f_code
            outside = not code.co_filename.startswith(TORCH_DIR) and code.co_filename != __file__
            if outside and not (code.co_name == "__init__" and frame.f_locals.get("self") is instance):
                return f"{code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}"
            frame = frame.f_back
        return None

    def _traced_scheduler_step(self, original):
        obs = self

        def step(self_, *args, **kwargs):
            obs._sched_depth += 1
            try:
                return original(self_, *args, **kwargs)
            finally:
                obs._sched_depth -= 1
                if obs._sched_depth == 0 and not obs._in_sched_init:
                    obs._sched_steps += 1

        return step

    # ---------------------------------------------------------------- hooks
    def _forward_pre(self, module: nn.Module, args: Any) -> None:
        if self._depth == 0 and self.capture is None:
            self._top_calls.append((module, torch.is_grad_enabled(), module.training))
        self._depth += 1

    def _forward_post(self, module: nn.Module, args: Any, output: Any) -> None:
        self._depth -= 1

    def _step_pre(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.step += 1
        self.lrs.append(optimizer.param_groups[0]["lr"])
        self.zero_grad_calls_per_step.append(self._zero_grads)
        self.scheduler_steps_per_step.append(self._sched_steps)
        self.batches_per_step.append(self._batches)
        self._zero_grads = self._sched_steps = self._batches = 0
        if self.step == 1:
            self._train_loader = self._batch_loader
            self.capture = self._snapshot(optimizer)
            self._leave_mode()  # the TorchFunctionMode only serves the capture
            if self.narrow and self._model_ref is not None:
                self._remove_global_module_hooks()
                self._depth = 0
                self._undo.append(self._model_ref().register_forward_pre_hook(self._model_pre).remove)
            if self.stop_at_first_step:
                raise StopTraining
        if self.step == 1 or self.step % self.every == 0:
            self._sample(optimizer)

    def _step_post(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        return None

    def _sample(self, optimizer: torch.optim.Optimizer) -> None:
        params = [p for g in optimizer.param_groups for p in g["params"]]
        grads = [p.grad for p in params if p.grad is not None]
        with torch.no_grad():
            stats = [torch.stack(torch._foreach_norm(grads)) if grads else torch.zeros(0)]
            stats.append(torch.stack(torch._foreach_norm([p.detach() for p in params])))
            if self._last_loss is not None:
                stats.append(self._last_loss.reshape(1).to(stats[1].dtype))
            host = torch.cat([s.reshape(-1).to(stats[1].device) for s in stats]).tolist()  # one transfer
        n_g, n_p = len(grads), len(params)
        self.samples.append(
            {
                "step": self.step,
                "grad_norms": host[:n_g],
                "param_norms": host[n_g : n_g + n_p],
                "loss": host[n_g + n_p] if self._last_loss is not None else None,
                "grads_missing": n_p - n_g,
            }
        )

    # ---------------------------------------------------------------- the capture at the first step
    def _snapshot(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        owned = {id(p) for g in optimizer.param_groups for p in g["params"]}
        model = None
        for module, grad_on, _training in self._top_calls:
            if isinstance(module, nn.modules.loss._Loss) or not grad_on:
                continue
            if owned & {id(p) for p in module.parameters()}:
                model = module
        self._model_ref = weakref.ref(model) if model is not None else None
        losses = [type(m).__name__ for m, grad_on, _ in self._top_calls if isinstance(m, nn.modules.loss._Loss)]
        if losses:
            loss = losses[-1]
        elif self._functional_losses:
            loss = f"F.{self._functional_losses[-1]}"
        else:
            loss = None
        train = self._train_loader() if self._train_loader is not None else None
        if train is not None:
            self.first_epoch_labels = self._labels.get(id(train), [])  # the list keeps growing in place
        others = [ref() for ref in self._loaders if ref() is not None and ref() is not train]
        return {
            "model": type(model).__name__ if model is not None else None,
            "model_site": self._sites.get(id(model)) if model is not None else None,
            "model_training": model.training if model is not None else None,
            "optimizer": type(optimizer).__name__,
            "optimizer_site": self._sites.get(id(optimizer)),
            "lr": optimizer.param_groups[0]["lr"],
            "loss": loss,
            "loss_grad_fn": self._loss_grad_fn,
            "train_loader_site": self._sites.get(id(train)) if train is not None else None,
            "train_shuffled": isinstance(train.sampler, RandomSampler) if train is not None else None,
            "val_loader": bool(others),
            "val_loader_sites": [self._sites.get(id(o)) for o in others],
        }
