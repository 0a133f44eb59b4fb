"""Observe an unmodified PyTorch program through global hooks and a few patches.

One context manager, `observing(listener)`, installs everything and removes every hook and
patch on exit, exceptions included. What it installs (measured in docs/watch-hooks.md):

- global optimizer step pre/post hooks (`step_pre` / `step_post`; a nested `super().step()` of an
  optimizer subclass is ignored);
- global module forward pre/post hooks with a depth counter (`forward`, depth 0 = the outermost
  calls: the model and loss modules), switchable with `Observation.set_forward_hooks`; the modules
  given to `Observation.watch_module` report their own calls through a wrapper of their class's
  `forward` (`forward`, and `forward_start` while `Observation.forward_starts` is on);
- until the first optimizer step, a TorchFunctionMode that reports functional losses
  (`functional_loss`, only outside any module call); a listener can switch it on again for a
  while (`Observation.start_functional_losses`, e.g. during a validation pass);
- a patch of `torch.autograd.backward`, which `Tensor.backward` calls (`backward`), `Optimizer.zero_grad` and
  `Module.zero_grad` (`zero_grad`), the schedulers' `step` (`scheduler_step`, outermost call only,
  calls from a scheduler's own `__init__` ignored), `Module.train` (`mode_change`, outermost call),
  `DataLoader.__iter__` and `_BaseDataLoaderIter.__next__` (`batch`), and the `__init__` of modules,
  optimizers, schedulers and loaders (`*_created`, with the "file:line" of the user's frame).

Rules every hook follows: it returns None, never modifies a tensor, never draws from an RNG and
keeps no tensor alive beyond what the listener keeps. A listener that raises an ordinary
`Exception` never breaks the observed program: the error is kept in `Observation.errors` (and
re-raised when `strict=True`, for tests). A `BaseException` that is not an `Exception` (the
runner's stop signal, KeyboardInterrupt) goes through: that is how an observer stops a script.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import types
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.optim import lr_scheduler
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader
from torch.utils.data import dataloader as dataloader_module

from nndoctor.loss_calls import FUNCTIONAL_LOSSES

__all__ = ["FUNCTIONAL_LOSSES", "Listener", "Observation", "observing", "user_site"]


_TORCH_DIR = str(Path(torch.__file__).resolve().parent)
_OBSERVE_DIR = str(Path(__file__).resolve().parent)
_SKIPPED_DIRS = (_TORCH_DIR, _OBSERVE_DIR)
_STDLIB_DIR = str(Path(contextlib.__file__).resolve().parent)
_MAX_ERRORS = 20
_NO_KWARGS: dict[str, Any] = {}


class Listener:
    """Receives the events of an observed program. Every method is a no-op: override what you need.

    Arguments may grow (new keyword arguments with defaults); the names are fixed.
    """

    def module_created(self, module: nn.Module, site: str | None) -> None:
        """An `nn.Module` finished `nn.Module.__init__` (its subclass `__init__` may still run)."""

    def optimizer_created(self, optimizer: torch.optim.Optimizer, site: str | None) -> None:
        """An optimizer was constructed (fired once its `__init__` returned)."""

    def scheduler_created(self, scheduler: Any, site: str | None) -> None:
        """An LR scheduler was constructed (fired once its outermost `__init__` returned)."""

    def loader_created(self, loader: DataLoader[Any], site: str | None) -> None:
        """A DataLoader was constructed."""

    def forward(self, module: nn.Module, args: tuple[Any, ...], output: Any, depth: int) -> None:
        """A module call returned; depth 0 is an outermost call (the model, a loss module).
        `torch.is_grad_enabled()` and `module.training` are the call's own at this point, and
        `Observation.forward_kwargs` holds the call's keyword arguments (`model(**batch)`)."""

    def forward_start(self, module: nn.Module) -> None:
        """A module given to `Observation.watch_module` is about to run its forward; fired only
        while `Observation.forward_starts` is on (a listener switches it on for the calls it
        needs: nothing is paid on the others)."""

    def functional_loss(self, name: str, output: Any) -> None:
        """A functional loss (`F.cross_entropy`, ...) was called outside any module (before the
        first optimizer step only)."""

    def backward(self, tensor: torch.Tensor) -> None:
        """`tensor.backward()` or `torch.autograd.backward(tensor)` is about to run."""

    def batch(self, loader: DataLoader[Any] | None, batch: Any) -> None:
        """A DataLoader iterator produced a batch (`loader` None when the loader is gone)."""

    def zero_grad(self, owner: Any, set_to_none: bool) -> None:
        """`Optimizer.zero_grad` or `Module.zero_grad` was called on `owner`."""

    def step_pre(self, optimizer: torch.optim.Optimizer) -> None:
        """An optimizer step is about to update the weights (they are still the old ones)."""

    def step_post(self, optimizer: torch.optim.Optimizer) -> None:
        """An optimizer step finished."""

    def scheduler_step(self, scheduler: Any) -> None:
        """A scheduler's `step()` returned (outermost call, not the one inside its `__init__`)."""

    def mode_change(self, module: nn.Module, training: bool) -> None:
        """`module.train(mode)` / `module.eval()` was called (outermost call only)."""

    def grad_clipped(self, kind: str, limit: float, norm_type: float) -> None:
        """`clip_grad_norm_` (kind "norm", `limit` its max_norm) or `clip_grad_value_` ("value") returned."""


def _live_step_calls(optimizer: torch.optim.Optimizer) -> int:
    """How many of torch's step wrappers for `optimizer` are running (on this thread's stack)."""
    count = 0
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        wrapper = code.co_name == "wrapper" and code.co_filename.startswith(_TORCH_DIR)
        if wrapper and frame.f_locals.get("self") is optimizer:
            count += 1
        frame = frame.f_back
    return count


def _bound(listener: Listener, event: str) -> Callable[..., None] | None:
    """The listener's bound method for `event`, or None when it is Listener's own no-op."""
    method = getattr(listener, event)
    if getattr(method, "__func__", None) is getattr(Listener, event):
        return None
    return method


def _library_file(filename: str) -> bool:
    return "/site-packages/" in filename or "/dist-packages/" in filename or filename.startswith(_STDLIB_DIR)


_FILE_KINDS: dict[str, int] = {}  # co_filename -> 0 torch/nndoctor.observe/frozen, 1 a library, 2 the user's


def _file_kind(filename: str) -> int:
    if filename.startswith(_SKIPPED_DIRS) or filename.startswith("<frozen"):
        kind = 0
    elif _library_file(filename):
        kind = 1
    else:
        kind = 2
    if len(_FILE_KINDS) < 100_000:
        _FILE_KINDS[filename] = kind
    return kind


def user_site(instance: Any = None, frame: FrameType | None = None) -> str | None:
    """'file:line' of the first frame outside torch and nndoctor.observe, skipping the `__init__`
    frames of `instance` itself (a subclass calling `super().__init__()`). Frames of installed
    libraries (a model zoo's factory function) are passed over for the user's own line when there
    is one above them. (Each file's kind is worked out once: a sampled forward asks at every ReLU.)"""
    current: FrameType | None = frame if frame is not None else sys._getframe(1)
    fallback: str | None = None
    kinds = _FILE_KINDS
    while current is not None:
        code = current.f_code
        filename = code.co_filename
        kind = kinds.get(filename)
        if kind is None:
            kind = _file_kind(filename)
        if kind:
            own_init = instance is not None and code.co_name == "__init__" and current.f_locals.get("self") is instance
            if not own_init:
                site = f"{filename}:{current.f_lineno}"
                if kind == 2:
                    return site
                fallback = fallback or site
        current = current.f_back
    return fallback


class _LossMode(TorchFunctionMode):
    """Reports functional losses called outside any module; every call goes through unchanged."""

    def __init__(self, observation: Observation) -> None:
        super().__init__()
        self.observation = observation

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        output = func(*args, **(kwargs or {}))
        obs = self.observation
        if obs._functional_on and obs._forward_depth == 0:
            name = FUNCTIONAL_LOSSES.get(func)
            if name is not None:
                obs.functional_args = args
                obs.functional_kwargs = kwargs or {}
                obs._dispatch("functional_loss", name, output)
        return output


class Observation:
    """The live installation made by `observing`: switches and the errors listeners raised."""

    def __init__(self, listener: Listener, *, strict: bool = False) -> None:
        self.listener = listener
        self.strict = strict
        self.errors: list[BaseException] = []
        self.steps = 0  # outermost optimizer steps seen so far
        # the closure of the step being taken (`optimizer.step(closure)`), while its pre-hook runs
        self.step_closure: Callable[[], Any] | None = None
        # the positional arguments of the functional loss being reported (inside functional_loss)
        self.functional_args: tuple[Any, ...] = ()
        self.functional_kwargs: dict[str, Any] = {}  # of the same call (`reduction="sum"`)
        # the keyword arguments of the module call being reported (inside forward): HuggingFace-
        # style code calls `model(**batch)` / `model(input_ids=..., labels=...)`
        self.forward_kwargs: dict[str, Any] = _NO_KWARGS
        self._undo: list[Callable[[], None]] = []
        self._forward_handles: list[Any] = []
        self._instance_handles: list[Any] = []
        self._instance_modules: list[weakref.ref[nn.Module]] = []
        self._watched: dict[int, weakref.ref[nn.Module]] = {}  # id -> module, for the wrapped forwards
        self._wrapped_classes: set[type] = set()
        self._forward_depth = 0
        self._functional_on = False
        self._mode: _LossMode | None = None
        self._step_depth: dict[int, int] = {}  # id(optimizer) -> nested step() calls running
        self._backward_depth = 0
        self._zero_grad_depth = 0
        self._train_depth = 0
        self._sched_step_depth = 0
        self._sched_init_depth = 0
        self._installed = False
        # report `forward_start` for the watched modules (a listener's switch, off by default)
        self.forward_starts = False
        # the listener's methods of the per-step events, bound once (None: Listener's no-op):
        # a hook on every step calls them directly, without `_dispatch`'s lookup by name
        self._on_forward = _bound(listener, "forward")
        self._on_forward_start = _bound(listener, "forward_start")
        self._on_backward = _bound(listener, "backward")
        self._on_batch = _bound(listener, "batch")
        self._on_zero_grad = _bound(listener, "zero_grad")
        self._on_step_pre = _bound(listener, "step_pre")
        self._on_step_post = _bound(listener, "step_post")

    # ------------------------------------------------------------------ public switches
    @property
    def forward_hooks(self) -> bool:
        """Whether the global module forward hooks are installed (every module call seen)."""
        return bool(self._forward_handles)

    def set_forward_hooks(self, enabled: bool) -> None:
        """Install or remove the global forward hooks (call it between forward passes, e.g. in
        `step_pre`). While they are off, modules given to `watch_module` still report their calls
        as depth 0."""
        if enabled == self.forward_hooks or not self._installed:
            return
        if enabled:
            self._forward_depth = 0
            self._forward_handles = [
                module_hooks.register_module_forward_pre_hook(self._forward_pre),
                module_hooks.register_module_forward_hook(self._forward_post, with_kwargs=True, always_call=True),
            ]
        else:
            for handle in self._forward_handles:
                handle.remove()
            self._forward_handles = []
            self._forward_depth = 0

    def watch_module(self, module: nn.Module) -> None:
        """Report this module's own calls (as depth 0) while the global forward hooks are off;
        removed when observing ends.

        The `forward` of the module's class is wrapped (restored on exit): a module hook would put
        every call of the model and the loss module on `Module._call_impl`'s slow path, which costs
        about as much as a small layer. Other instances of the class pass straight through. Where
        the class cannot be wrapped (an instance-level `forward`, a scripted module), an instance
        forward hook does the same."""
        if not self._installed or any(ref() is module for ref in self._instance_modules):
            return
        self._instance_modules.append(weakref.ref(module))
        self._watched[id(module)] = weakref.ref(module)
        if not self._wrap_forward(type(module), module):
            self._instance_handles.append(module.register_forward_pre_hook(self._instance_pre))
            self._instance_handles.append(
                module.register_forward_hook(self._instance_post, with_kwargs=True, always_call=True)
            )

    def _wrap_forward(self, cls: type, module: nn.Module) -> bool:
        if cls in self._wrapped_classes:
            return True
        original = getattr(cls, "forward", None)
        if (
            "forward" in vars(module)
            or not isinstance(original, types.FunctionType)
            or isinstance(module, torch.jit.ScriptModule)
        ):
            return False
        obs = self
        watched = self._watched
        had_own = "forward" in cls.__dict__
        on_forward = self._on_forward
        on_forward_start = self._on_forward_start

        def forward(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
            ref = watched.get(id(self))
            if ref is None or on_forward is None or ref() is not self:
                return original(self, *args, **kwargs)
            if obs.forward_starts and on_forward_start is not None:
                obs._deliver(on_forward_start, self)
            output = None
            try:
                output = original(self, *args, **kwargs)
                return output
            finally:  # like a forward hook with always_call=True
                if not obs._forward_handles:
                    if kwargs:
                        obs._deliver_forward(on_forward, self, args, kwargs, output, 0)
                    else:  # `forward_kwargs` is empty already: the listener is called directly
                        try:
                            on_forward(self, args, output, 0)
                        except Exception as exc:
                            if obs.strict:
                                raise
                            obs._keep(exc)

        functools.update_wrapper(forward, original)
        try:
            cls.forward = forward  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            return False
        self._wrapped_classes.add(cls)

        def undo() -> None:
            if had_own:
                cls.forward = original  # type: ignore[attr-defined]
            elif cls.__dict__.get("forward") is forward:
                delattr(cls, "forward")

        self._undo.append(undo)
        return True

    def on_remove(self, undo: Callable[[], None]) -> None:
        """Run `undo` when observing ends (exceptions included): a listener's own patch is
        restored with the hooks' even when the listener is never finished."""
        self._undo.append(undo)

    @property
    def functional_losses(self) -> bool:
        """Whether functional losses are reported (the TorchFunctionMode is on)."""
        return self._functional_on

    def start_functional_losses(self) -> None:
        """Report functional losses again (a listener's validation pass of a script whose loss is
        functional); `stop_functional_losses` leaves again, and the next optimizer step does."""
        if not self._installed or self._functional_on:
            return
        if self._mode is None:
            self._mode = _LossMode(self)
            self._mode.__enter__()
        self._functional_on = True

    def stop_functional_losses(self) -> None:
        """Leave the TorchFunctionMode (every torch call pays for it); done at the first step."""
        self._functional_on = False
        self.functional_args = ()
        self.functional_kwargs = {}
        mode = self._mode
        if mode is None:
            return
        # a mode can only leave from the top of the stack; under a mode the user pushed later it
        # stays, inert (the flag above), and leaves when observing ends
        if torch._C._len_torch_function_stack() > 0 and torch.overrides._get_current_function_mode() is mode:
            mode.__exit__(None, None, None)
            self._mode = None

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, event: str, *args: Any) -> None:
        self._deliver(getattr(self.listener, event), *args)

    def _deliver(self, method: Callable[..., None], *args: Any) -> None:
        """Call a listener's method; what it raises is kept (the observed program runs on) unless
        strict."""
        try:
            method(*args)
        except Exception as exc:
            if self.strict:
                raise
            self._keep(exc)

    def _keep(self, exc: Exception) -> None:
        """Keep what a listener raised (the hooks of every step call the listener themselves,
        `try: ... except Exception as exc: if strict: raise; _keep(exc)`: one Python call less
        per event than `_deliver`)."""
        if len(self.errors) < _MAX_ERRORS:
            self.errors.append(exc)

    def _deliver_forward(
        self,
        on_forward: Callable[..., None],
        module: nn.Module,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        output: Any,
        depth: int,
    ) -> None:
        """Deliver a forward event with the call's keyword arguments in `forward_kwargs` meanwhile."""
        self.forward_kwargs = kwargs
        try:
            on_forward(module, args, output, depth)
        except Exception as exc:
            if self.strict:
                raise
            self._keep(exc)
        finally:
            self.forward_kwargs = _NO_KWARGS

    # ------------------------------------------------------------------ install / remove
    def _patch(self, owner: Any, name: str, replacement: Callable[..., Any]) -> None:
        original = owner.__dict__[name]
        functools.update_wrapper(replacement, original)
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        if self._installed:
            raise RuntimeError("this Observation is installed already")
        self._installed = True
        try:
            self.set_forward_hooks(True)
            self._undo.append(lambda: self.set_forward_hooks(False))
            self._undo.append(register_optimizer_step_pre_hook(self._step_pre).remove)
            self._undo.append(register_optimizer_step_post_hook(self._step_post).remove)
            self._patch_backward()
            self._patch_zero_grad()
            self._patch_train()
            self._patch_schedulers()
            self._patch_creation()
            self._patch_loaders()
            self._patch_clipping()
            self._mode = _LossMode(self)
            self._mode.__enter__()
            self._functional_on = True
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        """Undo everything, in reverse order; safe to call twice."""
        self._functional_on = False
        if self._mode is not None:
            mode, self._mode = self._mode, None
            stack = torch.overrides._get_current_function_mode_stack()
            if mode in stack:
                # pop the modes above ours (the user's, left behind by an exception), ours, then
                # push the user's back: the stack is as if ours had never been there
                above: list[Any] = []
                while torch.overrides._get_current_function_mode() is not mode:
                    above.append(torch._C._pop_torch_function_stack())
                mode.__exit__(None, None, None)
                for other in reversed(above):
                    torch._C._push_on_torch_function_stack(other)
        for handle in self._instance_handles:
            handle.remove()
        self._instance_handles = []
        self._instance_modules = []
        self._watched.clear()
        self._wrapped_classes.clear()
        while self._undo:
            undo = self._undo.pop()
            undo()
        self._installed = False

    # ------------------------------------------------------------------ forward
    def _forward_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        self._forward_depth += 1

    def _forward_post(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        self._forward_depth -= 1
        depth = self._forward_depth
        if depth < 0:  # hooks switched on inside a forward pass
            self._forward_depth = depth = 0
        on_forward = self._on_forward
        if on_forward is not None:
            self._deliver_forward(on_forward, module, args, kwargs, output, depth)

    def _instance_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        on_forward_start = self._on_forward_start
        if self.forward_starts and on_forward_start is not None:
            self._deliver(on_forward_start, module)

    def _instance_post(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        on_forward = self._on_forward
        if not self._forward_handles and on_forward is not None:
            self._deliver_forward(on_forward, module, args, kwargs, output, 0)

    # ------------------------------------------------------------------ optimizer steps
    def _step_pre(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        key = id(optimizer)
        depth = self._step_depth.get(key, 0)
        if depth and _live_step_calls(optimizer) <= 1:
            depth = 0  # an earlier step raised between its pre- and post-hook: not nested
        self._step_depth[key] = depth + 1
        if depth:  # a subclass's super().step(): part of the same step
            return
        try:
            self.steps += 1
            on_step_pre = self._on_step_pre
            if on_step_pre is not None:
                # `step(closure)`: the forward runs inside the step (args hold the optimizer first)
                if len(args) > 1 or kwargs:
                    self.step_closure = next((a for a in (*args[1:], *kwargs.values()) if callable(a)), None)
                try:
                    on_step_pre(optimizer)
                except Exception as exc:
                    if self.strict:
                        raise
                    self._keep(exc)
                finally:
                    self.step_closure = None
            if self._functional_on:
                self.stop_functional_losses()
        except BaseException:
            self._step_depth.pop(key, None)  # the step will not run, no post-hook will come
            raise

    def _step_post(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        key = id(optimizer)
        depth = self._step_depth.pop(key, 0)
        if depth > 1:
            self._step_depth[key] = depth - 1
            return
        on_step_post = self._on_step_post
        if on_step_post is not None:
            try:
                on_step_post(optimizer)
            except Exception as exc:
                if self.strict:
                    raise
                self._keep(exc)

    # ------------------------------------------------------------------ patches
    def _patch_backward(self) -> None:
        # `Tensor.backward` calls `torch.autograd.backward(self, ...)` (looked up at call time), so
        # one patch sees both forms with the same tensor: a second one on `Tensor.backward` would
        # put two wrappers on every step's backward
        obs = self
        autograd_backward = torch.autograd.__dict__["backward"]
        on_backward = self._on_backward

        tensor_type = torch.Tensor

        def autograd_backward_(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            if obs._backward_depth == 0 and on_backward is not None:
                first = tensors if isinstance(tensors, tensor_type) else next(iter(tensors), None)
                if isinstance(first, tensor_type):
                    try:
                        on_backward(first)
                    except Exception as exc:
                        if obs.strict:
                            raise
                        obs._keep(exc)
            obs._backward_depth += 1
            try:
                return autograd_backward(tensors, *args, **kwargs)
            finally:
                obs._backward_depth -= 1

        self._patch(torch.autograd, "backward", autograd_backward_)

    def _patch_zero_grad(self) -> None:
        obs = self
        on_zero_grad = self._on_zero_grad

        def traced(original: Callable[..., Any]) -> Callable[..., Any]:
            def zero_grad(self: Any, set_to_none: bool = True) -> Any:
                outermost = obs._zero_grad_depth == 0
                obs._zero_grad_depth += 1
                try:
                    return original(self, set_to_none)
                finally:
                    obs._zero_grad_depth -= 1
                    if outermost and on_zero_grad is not None:
                        try:
                            on_zero_grad(self, bool(set_to_none))
                        except Exception as exc:
                            if obs.strict:
                                raise
                            obs._keep(exc)

            return zero_grad

        self._patch(torch.optim.Optimizer, "zero_grad", traced(torch.optim.Optimizer.__dict__["zero_grad"]))
        self._patch(nn.Module, "zero_grad", traced(nn.Module.__dict__["zero_grad"]))

    def _patch_clipping(self) -> None:
        """The clipping functions, in both modules a script imports them from (a `from torch.nn.utils
        import clip_grad_norm_` in the script runs after this and gets the traced one)."""
        if _bound(self.listener, "grad_clipped") is None:
            return
        obs = self
        from torch.nn.utils import clip_grad

        for owner in (torch.nn.utils, clip_grad):
            for name, kind in (("clip_grad_norm_", "norm"), ("clip_grad_value_", "value")):
                if name not in owner.__dict__:
                    continue

                def traced(
                    *args: Any, _original: Callable[..., Any] = owner.__dict__[name], _kind: str = kind, **kwargs: Any
                ) -> Any:
                    result = _original(*args, **kwargs)
                    limit = args[1] if len(args) > 1 else kwargs.get("max_norm", kwargs.get("clip_value"))
                    norm_type = (args[2] if len(args) > 2 else kwargs.get("norm_type", 2.0)) if _kind == "norm" else 0.0
                    if isinstance(limit, (int, float)) and isinstance(norm_type, (int, float)):
                        obs._dispatch("grad_clipped", _kind, float(limit), float(norm_type))
                    return result

                self._patch(owner, name, traced)

    def _patch_train(self) -> None:
        obs = self
        original = nn.Module.__dict__["train"]

        def train(self: nn.Module, mode: bool = True) -> Any:
            outermost = obs._train_depth == 0
            obs._train_depth += 1
            try:
                return original(self, mode)
            finally:
                obs._train_depth -= 1
                if outermost and isinstance(mode, bool):
                    obs._dispatch("mode_change", self, mode)

        self._patch(nn.Module, "train", train)

    def _patch_schedulers(self) -> None:
        obs = self
        classes = [
            cls
            for cls in vars(lr_scheduler).values()
            if isinstance(cls, type) and issubclass(cls, lr_scheduler.LRScheduler)
        ]
        for cls in classes:
            if "step" in cls.__dict__:
                self._patch(cls, "step", self._traced_scheduler_step(cls.__dict__["step"]))
            if "__init__" in cls.__dict__:
                original = cls.__dict__["__init__"]

                def init(self: Any, *args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> None:
                    obs._sched_init_depth += 1
                    try:
                        _original(self, *args, **kwargs)
                    finally:
                        obs._sched_init_depth -= 1
                    if obs._sched_init_depth == 0:
                        obs._dispatch("scheduler_created", self, user_site(self, sys._getframe(1)))

                self._patch(cls, "__init__", init)

    def _traced_scheduler_step(self, original: Callable[..., Any]) -> Callable[..., Any]:
        obs = self

        def step(self: Any, *args: Any, **kwargs: Any) -> Any:
            obs._sched_step_depth += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                obs._sched_step_depth -= 1
                if obs._sched_step_depth == 0 and obs._sched_init_depth == 0:
                    obs._dispatch("scheduler_step", self)

        return step

    def _patch_creation(self) -> None:
        obs = self
        module_init = nn.Module.__dict__["__init__"]
        optimizer_init = torch.optim.Optimizer.__dict__["__init__"]

        def module_init_(self: nn.Module, *args: Any, **kwargs: Any) -> None:
            module_init(self, *args, **kwargs)
            obs._dispatch("module_created", self, user_site(self, sys._getframe(1)))

        def optimizer_init_(self: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> None:
            optimizer_init(self, *args, **kwargs)
            obs._dispatch("optimizer_created", self, user_site(self, sys._getframe(1)))

        self._patch(nn.Module, "__init__", module_init_)
        self._patch(torch.optim.Optimizer, "__init__", optimizer_init_)

    def _patch_loaders(self) -> None:
        obs = self
        loader_init = DataLoader.__dict__["__init__"]
        loader_iter = DataLoader.__dict__["__iter__"]
        iter_next = dataloader_module._BaseDataLoaderIter.__dict__["__next__"]

        def loader_init_(self: DataLoader[Any], *args: Any, **kwargs: Any) -> None:
            loader_init(self, *args, **kwargs)
            obs._dispatch("loader_created", self, user_site(self, sys._getframe(1)))

        def loader_iter_(self: DataLoader[Any]) -> Any:
            iterator = loader_iter(self)
            # a strong reference: in `for b in DataLoader(...)` only the iterator keeps the loader
            with contextlib.suppress(AttributeError, TypeError):
                iterator._nndoctor_loader = self
            return iterator

        on_batch = self._on_batch

        def iter_next_(self: Any) -> Any:
            batch = iter_next(self)
            if on_batch is not None:
                try:
                    on_batch(getattr(self, "_nndoctor_loader", None), batch)
                except Exception as exc:
                    if obs.strict:
                        raise
                    obs._keep(exc)
            return batch

        self._patch(DataLoader, "__init__", loader_init_)
        self._patch(DataLoader, "__iter__", loader_iter_)
        self._patch(dataloader_module._BaseDataLoaderIter, "__next__", iter_next_)


@contextlib.contextmanager
def observing(listener: Listener, *, strict: bool = False) -> Iterator[Observation]:
    """Install every hook and patch, dispatch to `listener`, and remove them all on exit.

    `strict=True` re-raises a listener's own exceptions (tests); otherwise they are kept in
    `Observation.errors` and the observed program runs on unaffected.
    """
    observation = Observation(listener, strict=strict)
    observation.install()
    try:
        yield observation
    finally:
        observation.remove()
