"""Capture a training script's model, optimizer, loss and loaders at its first optimizer step.

`capture(path, argv)` runs the script as `__main__` under the global hooks
(`nndoctor.observe.hooks`) and, in the first optimizer step pre-hook (the weights are still the
ones the script built), takes what a recipe would have given:

- the model: the outermost module called with gradients on whose parameters the stepping
  optimizer owns (deep-copied as it is before the step);
- the optimizer: its class and per-group settings, as a factory for nndoctor's own copy (the base
  LR, `initial_lr`, when a scheduler already changed the group's LR);
- the loss: the last loss module called outside the model, else the last functional loss
  (`F.cross_entropy`, ...), else none (a loss written by hand: nndoctor infers one, as for a recipe
  without `build_loss`; the report names the `grad_fn` the script's loss ended with);
- the training loader (the one whose batch came right before the step) and a validation loader
  (another loader the script built before the step, preferring one that does not shuffle);
- where each was created (file:line), for the report.

A script with no DataLoader (it slices its own batches) is not stopped at the first step: it runs
on for up to HAND_FED_BATCHES steps, and the (model input, loss target) pair of each step becomes
the training data, as a recipe's list of batches would be.

Then the script is stopped (`StopScript`) and the capture becomes a `Target`, the same object a
recipe gives, so the pre-flight pipeline runs unchanged. Two models or two optimizers make the
capture ambiguous: the error lists the candidates and `--model NAME` / `--optimizer NAME` (a
variable name or a class name) picks one.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import sys
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

from nndoctor.batches import describe_shapes, output_loss
from nndoctor.errors import TargetError, UsageError
from nndoctor.observe.hooks import Listener, Observation, observing, user_site
from nndoctor.observe.replay import (
    ArrangedLoss,
    all_zeros,
    as_is_forward,
    fed_as_is,
    forward_from,
    multi_call_forward,
    untraced_forward,
)
from nndoctor.observe.runner import ScriptOutcome, StopScript, run_script
from nndoctor.targets.model import Target
from nndoctor.targets.script import is_script

__all__ = ["Capture", "CaptureError", "capture", "is_script"]

CLASSIFICATION_LOSSES = ("CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss")
BINARY_LOSSES = ("BCEWithLogitsLoss", "BCELoss", "binary_cross_entropy_with_logits", "binary_cross_entropy")
REGRESSION_LOSSES = (
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
)
# a script that calls backward() this often without an optimizer step trains some other way (or
# accumulates absurdly long): stop it instead of running the whole training for nothing
MAX_BACKWARDS_WITHOUT_STEP = 256
MAX_LOSS_CALLS = 64  # loss-module calls kept before the first step (a multi-task loss is a few)
MAX_STEP_CALLS = 8  # model calls kept per step (a siamese pair is 2, a triplet 3)
# a script that slices its own batches (no DataLoader) runs on after its first step, its batches
# collected as the training data, until this many steps or this much data
HAND_FED_BATCHES = 32
HAND_FED_BYTES = 64 * 2**20
_SKIPPED = (
    str(Path(torch.__file__).resolve().parent),
    str(Path(__file__).resolve().parent.parent),
)


class CaptureError(TargetError):
    """The script could not be captured (it ended before its first step, it raised, the capture
    is ambiguous...); the message says what to do."""

    title = "Cannot capture the script"


# ---------------------------------------------------------------------------------------------
# what was captured


@dataclass
class Captured:
    """One captured object, as the report shows it."""

    kind: str  # "model", "optimizer", "loss", "train loader", "val loader"
    description: str  # e.g. "MLP", "Adam (lr 0.001)", "F.cross_entropy"
    site: str | None = None  # "file:line" where the script created it
    names: tuple[str, ...] = ()  # the script's variable names for it

    def text(self) -> str:
        name = f" `{self.names[0]}`" if self.names else ""
        where = f" ({_short(self.site)})" if self.site else ""
        return f"{self.kind}{name}: {self.description}{where}"


@dataclass
class Capture:
    """What `capture` took from the script, and the `Target` built from it."""

    script: Path
    argv: list[str]
    target: Target
    captured: list[Captured]
    outcome: ScriptOutcome
    step_site: str | None = None  # the line of the first `optimizer.step()`
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines: what was captured and from where."""
        where = f" ({_short(self.step_site)})" if self.step_site else ""
        lines = [f"Captured {self.script.name} at its first optimizer step{where}:"]
        lines += [f"  {c.text()}" for c in self.captured]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "script": str(self.script),
            "argv": list(self.argv),
            "step_site": self.step_site,
            "captured": [
                {"kind": c.kind, "description": c.description, "site": c.site, "names": list(c.names)}
                for c in self.captured
            ],
            "notes": list(self.notes),
        }


def _short(site: str | None) -> str:
    """A 'file:line' site relative to the working directory when inside it (as the report's
    locations are shown)."""
    if not site:
        return ""
    file, sep, line = site.rpartition(":")
    if not sep or not line.isdigit():
        file, line = site, ""
    try:
        shown = Path(file).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        shown = file
    return f"{shown}:{line}" if line else shown


# ---------------------------------------------------------------------------------------------
# the listener


@dataclass
class _Call:
    """The outermost calls of one module before the capture."""

    module: weakref.ref[nn.Module]
    grad_calls: int = 0
    last_args: tuple[Any, ...] = ()  # of the last call with gradients on
    last_kwargs: dict[str, Any] = field(default_factory=dict)  # its keyword arguments (`model(**batch)`)
    last_output: Any = None
    any_args: tuple[Any, ...] = ()  # of the last call, gradients on or off
    any_output: Any = None
    any_grad: bool = True


@dataclass
class _Collection:
    """A loader-free script's capture while its batches are collected: the capture so far, and
    what tells its training steps apart (the stepped optimizer, the model, a custom loss module)."""

    result: dict[str, Any]
    optimizer: weakref.ref[torch.optim.Optimizer]
    model: weakref.ref[nn.Module]
    custom_loss: weakref.ref[nn.Module] | None


class _CaptureListener(Listener):
    def __init__(self, script: Path, pick_model: str | None, pick_optimizer: str | None) -> None:
        self.script = script
        self.pick_model = pick_model
        self.pick_optimizer = pick_optimizer
        self.observation: Observation | None = None
        self.sites: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()
        self.optimizers: list[weakref.ref[torch.optim.Optimizer]] = []
        self.loaders: list[weakref.ref[DataLoader[Any]]] = []
        self.calls: dict[int, _Call] = {}
        self.loss_module: tuple[weakref.ref[nn.Module], tuple[Any, ...]] | None = None
        self.loss_calls: list[tuple[weakref.ref[nn.Module], tuple[Any, ...]]] = []  # every one, in order
        self.custom_loss: tuple[weakref.ref[nn.Module], tuple[Any, ...]] | None = None
        self.functional: tuple[str, tuple[Any, ...]] | None = None  # name, positional args
        self.functional_site: str | None = None
        self.functional_this_step = False  # a functional loss was seen since the step's batch came
        self.functional_call: int | None = None  # the model call whose output it reads
        self.grad_fn: str | None = None
        self.last_batch: tuple[weakref.ref[DataLoader[Any]] | None, Any] | None = None
        self.schedulers: list[tuple[str, str | None, weakref.ref[Any]]] = []
        self.steps_skipped = 0
        self.backwards_since_step = 0
        self.batches_since_step = 0
        self.cleared_between = False  # zero_grad() ran after a backward() of the coming step
        self.first_step_micro = (0, 0)  # (backward passes, loader batches) before the first step
        # the first step's capture, held while the next steps tell whether they are a hand-written
        # LR range test (the learning rate multiplied by the same factor step after step)
        self.pending: _Pending | None = None
        self.result: dict[str, Any] | None = None
        self.failure: BaseException | None = None
        self.done = False
        # a loader-free script: the capture waiting for its batches, and the batches so far
        self.collecting: _Collection | None = None
        self.collected: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.collected_bytes = 0
        self.fed: torch.Tensor | None = None  # this step's model input
        self.fed_target: torch.Tensor | None = None  # and the target its loss compared with
        self.clipping: tuple[str, float, float, str | None] | None = None  # kind, limit, norm type, site
        # this step's outermost module calls with gradients on (module, inputs, output), in order:
        # a model called twice (a siamese pair) is replayed call by call
        self.step_calls: list[tuple[weakref.ref[nn.Module], tuple[Any, ...], Any]] = []

    # -- creation
    def module_created(self, module: nn.Module, site: str | None) -> None:
        self._stop_if_done()
        self.sites[module] = site

    def optimizer_created(self, optimizer: torch.optim.Optimizer, site: str | None) -> None:
        self._stop_if_done()
        self.sites[optimizer] = site
        self.optimizers.append(weakref.ref(optimizer))

    def scheduler_created(self, scheduler: Any, site: str | None) -> None:
        self._stop_if_done()
        self.schedulers.append((type(scheduler).__name__, site, weakref.ref(scheduler)))

    def loader_created(self, loader: DataLoader[Any], site: str | None) -> None:
        self._stop_if_done()
        self.sites[loader] = site
        self.loaders.append(weakref.ref(loader))

    # -- the run
    def forward(self, module: nn.Module, args: tuple[Any, ...], output: Any, depth: int) -> None:
        if depth != 0:
            return
        self._stop_if_done()
        if self.collecting is not None:
            self._collect_call(module, args)
            return
        if isinstance(module, nn.modules.loss._Loss):
            self.loss_module = (weakref.ref(module), args)
            if len(self.loss_calls) < MAX_LOSS_CALLS:
                self.loss_calls.append(self.loss_module)
            return
        # a parameter-free module that turns another module's output into a scalar: a loss that
        # is no nn._Loss (FocalLoss(nn.Module))
        scalar = isinstance(output, torch.Tensor) and output.ndim == 0
        applied = scalar and (
            (bool(args) and any(c.any_output is args[0] for c in self.calls.values()))
            or any(out is arg for _, _, out in self.step_calls for arg in args)
        )
        if applied and not any(p.requires_grad for p in module.parameters()):
            self.custom_loss = (weakref.ref(module), args)
            return
        call = self.calls.get(id(module))
        if call is None or call.module() is not module:
            call = self.calls[id(module)] = _Call(weakref.ref(module))
        grad = torch.is_grad_enabled()
        call.any_args, call.any_output, call.any_grad = args, output, grad
        if grad:
            call.grad_calls += 1
            call.last_args = args
            call.last_kwargs = dict(self.observation.forward_kwargs) if self.observation is not None else {}
            call.last_output = output
            if len(self.step_calls) < MAX_STEP_CALLS:
                self.step_calls.append((call.module, args, output))

    def functional_loss(self, name: str, output: Any) -> None:
        args = self.observation.functional_args if self.observation is not None else ()
        if self.collecting is not None:
            self._collect_target(args)
            return
        # a sum of losses names the first term on the output of the step's latest model call (a
        # multi-task head's first loss; the call on the batch the capture keeps), not a regularizer
        call = self._output_call(args)
        kept = self.functional_call if self.functional_this_step else None
        if not self.functional_this_step or (call is not None and (kept is None or call > kept)):
            self.functional = (name, args)
            self.functional_site = user_site()
            self.functional_call = call
        self.functional_this_step = True

    def _output_call(self, args: tuple[Any, ...]) -> int | None:
        """Which of this step's model calls output the loss's first argument (an element of it)."""
        if not args or not isinstance(args[0], torch.Tensor):
            return None
        for index, (_, _, out) in enumerate(self.step_calls):
            parts = (
                list(out.values()) if isinstance(out, dict) else list(out) if isinstance(out, (list, tuple)) else [out]
            )
            if any(args[0] is part for part in parts):
                return index
        return None

    def backward(self, tensor: torch.Tensor) -> None:
        self._stop_if_done()
        self.grad_fn = type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None
        self.backwards_since_step += 1
        if self.backwards_since_step > MAX_BACKWARDS_WITHOUT_STEP:
            self.failure = CaptureError(
                f"{self.script.name} called backward() {MAX_BACKWARDS_WITHOUT_STEP} times without a torch.optim "
                f"optimizer step (last at {_short(_step_site())}), so nndoctor stopped it: the capture happens at the "
                "first optimizer.step(), and this script updates its weights some other way. Write a recipe for it "
                "(`nndoctor init`)."
            )
            self.done = True
            raise StopScript("no optimizer step")

    def zero_grad(self, owner: Any, set_to_none: bool) -> None:
        if self.backwards_since_step:  # the gradients of the backward passes so far are thrown away
            self.cleared_between = True

    def batch(self, loader: DataLoader[Any] | None, batch: Any) -> None:
        self._stop_if_done()
        self.last_batch = (weakref.ref(loader) if loader is not None else None, batch)
        self.step_calls = []
        self.batches_since_step += 1
        self.functional_this_step = False

    def step_pre(self, optimizer: torch.optim.Optimizer) -> None:
        self._stop_if_done()
        backwards = self.backwards_since_step
        self.backwards_since_step = 0
        batches, self.batches_since_step = self.batches_since_step, 0
        cleared, self.cleared_between = self.cleared_between, False
        if self.result is None and self.collecting is None:
            # micro-batches accumulate only when nothing cleared their gradients before the step
            self.first_step_micro = (0, 0) if cleared else (backwards, batches)
        if self.collecting is not None:
            if optimizer is self.collecting.optimizer():
                self._collect_step()
            return
        if self.pending is not None and not self._sweep_goes_on(optimizer):
            return
        closure = self.observation.step_closure if self.observation is not None else None
        if callable(closure) and backwards == 0 and self.result is None:
            # `optimizer.step(closure)`: the step's forward and backward run inside it; run the
            # closure once here (the weights are still those before the step) so they are seen
            with torch.enable_grad():
                closure()
        self.backwards_since_step = 0
        try:
            result = self._capture(optimizer)
        except StopScript:
            raise
        except Exception as exc:  # noqa: BLE001 (a capture error ends the script with a clear message)
            self.failure = exc
            self.done = True
            raise StopScript("the capture failed") from None
        if result is None:  # not the optimizer or model the user picked, or batches to collect: let this step run
            if self.collecting is None:
                self.steps_skipped += 1
            return
        if self.pending is None:  # the next step tells whether this one starts an LR range test
            self.pending = _Pending(result, weakref.ref(optimizer), [_group_lr(optimizer)])
            return
        sweep = self.pending
        result["notes"].append(
            f"the script runs an LR range test first: {len(sweep.lrs)} steps with the learning rate multiplied by "
            f"{sweep.lrs[1] / sweep.lrs[0]:.3g} each step, from {sweep.lrs[0]:.3g} to {sweep.lrs[-1]:.3g}; captured "
            "at the first step after it, where training proper starts"
        )
        self._finish(result)

    def _finish(self, result: dict[str, Any]) -> None:
        self.result, self.pending = result, None
        self.done = True
        raise StopScript("captured at the first optimizer step")

    def _sweep_goes_on(self, optimizer: torch.optim.Optimizer) -> bool:
        """With the first step's capture held: False while the steps look like an LR range test
        (the step runs on), else True to capture this step as the start of training. When the
        steps are plain training the held capture is the result (the script stops here)."""
        sweep = self.pending
        assert sweep is not None
        lr = _group_lr(optimizer) if optimizer is sweep.optimizer() else None
        rising = lr is not None and lr > sweep.lrs[-1] * (1 + SWEEP_MIN_RISE)
        if not sweep.sweeping:
            if not rising:
                self._finish(sweep.result)  # plain training: the first step was the one
            assert lr is not None
            sweep.lrs.append(lr)
            if len(sweep.lrs) >= SWEEP_CONFIRM:
                ratios = [b / a for a, b in itertools.pairwise(sweep.lrs)]
                if max(ratios) > min(ratios) * (1 + SWEEP_RATIO_SPREAD):  # a warm-up's rise slows down
                    self._finish(sweep.result)
                sweep.sweeping = True
            return False
        if rising and len(sweep.lrs) < SWEEP_MAX_STEPS:
            assert lr is not None
            sweep.lrs.append(lr)
            return False
        if rising:  # rose for too long to be a range test: a long warm-up; the first step was the one
            self._finish(sweep.result)
        return True  # the LR fell back (or another optimizer stepped): training proper starts here

    # -- a loader-free script: its batches, step by step
    def _collect_call(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        assert self.collecting is not None
        custom = self.collecting.custom_loss
        if isinstance(module, nn.modules.loss._Loss) or (custom is not None and module is custom()):
            self._collect_target(args)
        elif (
            module is self.collecting.model() and torch.is_grad_enabled() and args and isinstance(args[0], torch.Tensor)
        ):
            # the first input only: a recurrent state carried beside it was zeros at the first step,
            # and the replay starts every batch from zeros, as a recipe would
            self.fed, self.fed_target = args[0], None

    def _collect_target(self, args: tuple[Any, ...]) -> None:
        if self.fed is not None and self.fed_target is None and len(args) >= 2 and isinstance(args[1], torch.Tensor):
            self.fed_target = args[1]

    def _collect_step(self) -> None:
        if self.fed is not None and self.fed_target is not None:
            self._keep(self.fed, self.fed_target)
        self.fed = self.fed_target = None
        if len(self.collected) >= HAND_FED_BATCHES or self.collected_bytes >= HAND_FED_BYTES:
            self.finish_collection()
            raise StopScript("collected the hand-fed batches")

    def _keep(self, inputs: torch.Tensor, target: torch.Tensor) -> None:
        pair = (inputs.detach().clone(), target.detach().clone())
        self.collected.append(pair)
        self.collected_bytes += sum(t.numel() * t.element_size() for t in pair)

    def finish_collection(self) -> None:
        """The capture of a loader-free script, with the batches it fed so far as its training data."""
        if self.collecting is None:
            return
        result, self.collecting = self.collecting.result, None
        batches = list(self.collected)
        result["train"] = batches
        first = batches[0][0]
        for item in result["captured"]:
            if item.kind == "train loader":
                item.description = (
                    f"{len(batches)} batches of {describe_shapes(first)} the script fed by hand (no DataLoader), "
                    "collected from its first steps"
                )
        result["notes"].append(
            f"the script feeds batches it slices itself (no DataLoader): it ran {len(batches) - 1} more step(s) so "
            f"that nndoctor could collect {len(batches)} of them; the checks train on those batches"
        )
        self.result = result
        self.done = True

    def step_post(self, optimizer: torch.optim.Optimizer) -> None:
        self.step_calls = []
        # the hooks leave the functional-loss mode at every step; collecting still needs it to see
        # the targets of `F.cross_entropy(model(x), y)`
        if self.collecting is not None and self.observation is not None:
            self.observation.start_functional_losses()

    def _stop_if_done(self) -> None:
        # a script whose bare `except:` swallowed the stop meets it again at its next event
        if self.done:
            raise StopScript("captured at the first optimizer step")

    def grad_clipped(self, kind: str, limit: float, norm_type: float) -> None:
        if self.result is None and self.collecting is None:  # the clipping of the step being captured
            self.clipping = (kind, limit, norm_type, user_site(None, sys._getframe(1)))

    # -- the capture
    def _capture(self, optimizer: torch.optim.Optimizer) -> dict[str, Any] | None:
        names = _frame_names()
        alive_optimizers = [o for ref in self.optimizers if (o := ref()) is not None]
        if optimizer not in alive_optimizers:
            alive_optimizers.append(optimizer)
        if self.pick_optimizer is not None and not _matches(optimizer, self.pick_optimizer, names):
            return None
        if self.pick_optimizer is None and self.pick_model is None and len(alive_optimizers) > 1:
            raise CaptureError(
                f"{self.script.name} builds {len(alive_optimizers)} optimizers: "
                + "; ".join(self._label(o, names) for o in alive_optimizers)
                + ". Pick the one to check with --optimizer NAME (a variable name or a class name), e.g. "
                f"--optimizer {_pick_name(optimizer, names)}."
            )
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        candidates = []
        for call in self.calls.values():
            module = call.module()
            if module is None or call.grad_calls == 0:
                continue
            if any(id(p) in owned for p in module.parameters()):
                candidates.append((module, call))
        # a submodule called on its own (model.encoder(x)) belongs to the model that contains it
        candidates = [
            (m, c)
            for m, c in candidates
            if not any(other is not m and any(sub is m for sub in other.modules()) for other, _ in candidates)
        ]
        if self.pick_model is not None:
            picked = [(m, c) for m, c in candidates if _matches(m, self.pick_model, names)]
            if not picked:
                if self.pick_optimizer is None and len(alive_optimizers) > 1:
                    return None  # another optimizer may train the model asked for
                seen = "; ".join(self._label(m, names) for m, _ in candidates) or "none"
                raise CaptureError(
                    f"--model {self.pick_model}: no module of that variable or class name was called with "
                    f"gradients on before the first step of {type(optimizer).__name__} in {self.script.name}. "
                    f"Modules trained by that optimizer: {seen}."
                )
            candidates = picked
        if not candidates:
            if isinstance(optimizer, torch.optim.LBFGS):
                raise CaptureError(
                    f"{self.script.name} trains with LBFGS, whose forward pass runs inside optimizer.step(closure): "
                    "there is no model call to capture before the first step. Write a recipe for it "
                    "(`nndoctor init`)."
                )
            shapes = sorted(tuple(p.shape) for group in optimizer.param_groups for p in group["params"])
            twin = next(
                (
                    m
                    for c in self.calls.values()
                    if (m := c.module()) is not None
                    and c.grad_calls
                    and sorted(tuple(p.shape) for p in m.parameters()) == shapes
                ),
                None,
            )
            if twin is not None:
                raise CaptureError(
                    f"{self.script.name} trains a {type(twin).__name__}"
                    + (f" (created at {_short(self.sites.get(twin))})" if self.sites.get(twin) else "")
                    + f", but the {type(optimizer).__name__} stepped at {_short(_step_site())} holds the parameters "
                    "of another module of the same shapes: the optimizer was built before the model was re-created, "
                    "deep-copied or replaced, so its steps never change the model the script trains. This is a bug "
                    "in the script: build the optimizer from the parameters of the model that is trained, after its "
                    "last re-creation (`nndoctor watch` shows it as ND501)."
                )
            raise CaptureError(
                f"{self.script.name} called {type(optimizer).__name__}.step() at {_short(_step_site())}, but no "
                "module holding the optimizer's parameters was called with gradients on before it, so there is no "
                "model to capture. Write a recipe for it (`nndoctor init`)."
            )
        if len(candidates) > 1:
            raise CaptureError(
                f"{self.script.name} calls {len(candidates)} models trained by {type(optimizer).__name__} before "
                "its first step: "
                + "; ".join(self._label(m, names) for m, _ in candidates)
                + ". Pick the one to check with --model NAME (a variable name or a class name), e.g. "
                f"--model {_pick_name(candidates[0][0], names)}."
            )
        model, call = candidates[0]
        return self._snapshot(optimizer, model, call, names)

    def _label(self, obj: Any, names: dict[int, list[str]]) -> str:
        var = names.get(id(obj))
        site = self.sites.get(obj)
        where = f" created at {_short(site)}" if site else ""
        return f"{'`' + var[0] + '` ' if var else ''}{type(obj).__name__}{where}"

    def _snapshot(
        self, optimizer: torch.optim.Optimizer, model: nn.Module, call: _Call, names: dict[int, list[str]]
    ) -> dict[str, Any] | None:
        train_ref, batch = self.last_batch if self.last_batch is not None else (None, None)
        train: Any = train_ref() if train_ref is not None else None
        hand_fed = None
        if train is None:
            hand_fed = self._hand_fed_batch(model, call)
            batch = hand_fed
        others = [loader for ref in self.loaders if (loader := ref()) is not None and loader is not train]
        val = _pick_validation(others)
        inner = _unwrap(model)
        combined = self._loss_on_output(call.last_output)
        # what the script's own first step gave a gradient (its other losses, or a second model
        # call on another loader's batch, that the replay leaves out): ND302 does not call those unused
        script_gradients = frozenset(name for name, p in inner.named_parameters() if p.grad is not None)
        frozen = copy.deepcopy(inner)
        for p in frozen.parameters():
            p.grad = None
        if combined is not None:
            self.loss_module = combined
        loss_fn, loss = self._loss()
        loss_args = self._loss_args()
        feeders = [(m, c) for c in self.calls.values() if (m := c.module()) is not None and m is not model]
        repeated = [(args, out) for ref, args, out in self.step_calls if ref() is model]
        multi = multi_call_forward(repeated, batch, loss_args, feeders) if loss_args and len(repeated) > 1 else None
        forward_fn: Callable[[nn.Module, Any], tuple[Any, Any]] | None
        if multi is not None:
            forward_fn, arrangement = multi
            loss_fn = ArrangedLoss(loss_fn, arrangement)
        else:
            forward_fn = forward_from(call.last_args, batch, loss_args, feeders, call.last_kwargs, call.last_output)
        if forward_fn is None and not (isinstance(batch, (list, tuple)) and len(batch) == 2):
            forward_fn = untraced_forward(self.script.name, type(model).__name__, batch)
        hints = _hints(loss.description if loss else None, call.last_output) if multi is None else {}
        step_site = _step_site()
        captured = [
            Captured("model", type(model).__name__, self.sites.get(model), tuple(names.get(id(model), ()))),
            Captured(
                "optimizer",
                _describe_optimizer(optimizer),
                self.sites.get(optimizer),
                tuple(names.get(id(optimizer), ())),
            ),
        ]
        if loss is not None:
            captured.append(loss)
        if hand_fed is None:
            captured.append(
                Captured(
                    "train loader", _describe_loader(train), self.sites.get(train), tuple(names.get(id(train), ()))
                )
            )
        else:
            captured.append(Captured("train loader", "batches the script fed by hand", None))
        if val is not None:
            captured.append(
                Captured("val loader", _describe_loader(val), self.sites.get(val), tuple(names.get(id(val), ())))
            )
        notes = []
        if self.clipping is not None:  # the probes' own steps clip as the script's do
            kind, limit, norm_type, clip_site = self.clipping
            if kind == "value":
                hints["clip_grad_value"] = limit
                described = f"clip_grad_value_ (clip_value {limit:g})"
            elif norm_type == 2.0:
                hints["clip_grad_norm"] = limit
                described = f"clip_grad_norm_ (max_norm {limit:g})"
            else:
                described = f"clip_grad_norm_ (max_norm {limit:g}, norm_type {norm_type:g})"
                notes.append(f"the script clips a norm of type {norm_type:g}; the checks' own steps do not clip")
            captured.append(Captured("gradient clipping", described, clip_site))
        if forward_fn is None and not fed_as_is(call.last_args, batch):
            forward_fn = as_is_forward(self.script.name, type(model).__name__)
            notes.append(
                f"the script changes its batch before calling {type(model).__name__} in a way nndoctor cannot redo "
                "(a slice, a computed feature, ...); the checks feed the batch's first element as it comes from "
                "the loader: if the report looks off, write a recipe with forward(model, batch)"
            )
        losses = [type(m).__name__ for ref, _ in self.loss_calls if (m := ref()) is not None]
        if combined is not None and len(set(losses)) > 1:
            notes.append(
                f"the script combines {len(set(losses))} losses ({', '.join(dict.fromkeys(losses))}); the checks use "
                f"{type(combined[0]()).__name__}, the first applied to the model's output"
            )
        if multi is not None:
            notes.append(
                f"the script calls {type(model).__name__} {len(repeated)} times per step and its loss reads "
                f"{sum(1 for a in multi[1] if a[0] == 'out')} of the outputs (a siamese or multi-view setup); the "
                "checks redo every call and pass the outputs to the loss as the script does"
            )
        if inner is not model:
            notes.append(f"the model is {type(inner).__name__} inside the script's {type(model).__name__} wrapper")
        if loss is None and output_loss(call.last_output) is not None:
            notes.append(
                f"{type(model).__name__} returns its own loss (output.loss, HuggingFace style); the checks compare "
                "its logits with the labels it was given, with a loss nndoctor infers from them"
            )
        elif loss is None:
            grad_fn = f" (its graph ends in {self.grad_fn})" if self.grad_fn else ""
            notes.append(
                f"the loss is computed by hand{grad_fn}; nndoctor infers one from the targets, as for a recipe "
                "without build_loss()"
            )
        schedulers = [
            (n, s)
            for n, s, ref in self.schedulers
            if (sch := ref()) is not None and getattr(sch, "optimizer", None) is optimizer
        ]
        if schedulers:
            notes.append(
                "LR scheduler "
                + ", ".join(f"{n}" + (f" ({_short(s)})" if s else "") for n, s in schedulers)
                + ": the checks use the base LR; `nndoctor watch` follows the schedule"
            )
        if len(others) > 1:
            notes.append(
                f"{len(others)} other loaders were built; the validation loader is the {_describe_loader(val)} one"
            )
        micro = self.first_step_micro[0]
        merged = _accumulated_loader(train, micro) if hand_fed is None and micro == self.first_step_micro[1] else None
        if merged is not None:
            notes.append(
                f"the script accumulates gradients over {micro} micro-batches of {train.batch_size} per optimizer "
                f"step; the checks train on batches of {merged.batch_size}, the batch each step really uses"
            )
            train = merged
        result = {
            "model": frozen,
            "train": train,
            "val": val,
            "loss_fn": loss_fn,
            "optimizer_factory": _optimizer_factory(optimizer, inner),
            "forward_fn": forward_fn,
            "hints": hints,
            "captured": captured,
            "notes": notes,
            "step_site": step_site,
            "script_gradients": script_gradients,
        }
        if hand_fed is not None:  # the script runs on; its next steps' batches are the training data
            custom = self.custom_loss[0] if self.custom_loss is not None else None
            self.collecting = _Collection(result, weakref.ref(optimizer), weakref.ref(model), custom)
            self._keep(*hand_fed)
            return None
        return result

    def _hand_fed_batch(self, model: nn.Module, call: _Call) -> tuple[torch.Tensor, torch.Tensor]:
        """The (input, target) pair of a step whose batch came from no DataLoader: the model's only
        positional input (beside an all-zero initial state: an RNN's hidden state) and the tensor
        its loss compared the output with."""
        loss_args = self._loss_args()
        args = call.last_args
        only = len(args) == 1 or (len(args) > 1 and all(all_zeros(a) for a in args[1:]))
        inputs = args[0] if args and only and not call.last_kwargs else None
        target = loss_args[1] if loss_args is not None and len(loss_args) >= 2 else None
        if not isinstance(inputs, torch.Tensor) or not isinstance(target, torch.Tensor):
            raise CaptureError(
                f"{self.script.name} fed {type(model).__name__} without a torch DataLoader, and its batches cannot be "
                "collected as (input, target) pairs: that needs one tensor into the model and a loss module or "
                "torch.nn.functional loss comparing the output with a target tensor. Wrap the data in a DataLoader, "
                "or write a recipe (`nndoctor init`)."
            )
        return inputs, target

    def _loss_on_output(self, output: Any) -> tuple[weakref.ref[nn.Module], tuple[Any, ...]] | None:
        """With several loss modules before the step (a multi-task loss `ce(out[0], y) + mse(out[1], z)`):
        the first one applied to the model's output or one of its elements. None with one loss, or
        when none reads the output."""
        distinct = {id(ref()) for ref, _ in self.loss_calls if ref() is not None}
        if len(distinct) < 2:
            return None
        parts = list(output) if isinstance(output, (list, tuple)) else [output]
        for found in self.loss_calls:
            args = found[1]
            if args and any(args[0] is part for part in parts):
                return found
        return None

    def _loss_args(self) -> tuple[Any, ...] | None:
        """The arguments of the loss before the step: the loss module's, a custom loss module's, else
        the functional loss's."""
        found = next((f[1] for f in (self.loss_module, self.custom_loss) if f is not None), None)
        if found is None and self.functional is not None:
            found = self.functional[1]
        return found

    def _loss(self) -> tuple[Any, Captured | None]:
        for found in (self.loss_module, self.custom_loss):
            module = found[0]() if found is not None else None
            if module is not None:
                return copy.deepcopy(module), Captured("loss", type(module).__name__, self.sites.get(module))
        if self.functional is not None:
            name = self.functional[0]
            return getattr(torch.nn.functional, name), Captured("loss", f"F.{name}", self.functional_site)
        return None, None


def _unwrap(model: nn.Module) -> nn.Module:
    """The module inside DataParallel / DistributedDataParallel (`.module`) and torch.compile
    (`._orig_mod`) wrappers: what a recipe's build_model() would return."""
    wrappers = (nn.DataParallel, nn.parallel.DistributedDataParallel)
    while True:
        inner = getattr(model, "module", None) if isinstance(model, wrappers) else None
        if inner is None and type(model).__name__ == "OptimizedModule":
            inner = getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


def _shuffles(loader: Any) -> bool:
    """The loader draws its samples at random (RandomSampler, SubsetRandomSampler, ...)."""
    sampler = getattr(loader, "sampler", None)
    return isinstance(sampler, RandomSampler) or "Random" in type(sampler).__name__


def _pick_validation(loaders: list[DataLoader[Any]]) -> DataLoader[Any] | None:
    """The first loader that does not shuffle, else the first one."""
    if not loaders:
        return None
    for loader in loaders:
        if not _shuffles(loader):
            return loader
    return loaders[0]


SWEEP_MIN_RISE = 0.01  # a range test multiplies the LR by more than this each step
SWEEP_CONFIRM = 5  # steps whose LR ratios must agree before the steps are read as a range test
SWEEP_RATIO_SPREAD = 0.02  # how far the per-step ratios of a range test may differ
SWEEP_MAX_STEPS = 2000  # a rise longer than this is a warm-up, not a range test


@dataclass
class _Pending:
    result: dict[str, Any]
    optimizer: weakref.ref[torch.optim.Optimizer]
    lrs: list[float]
    sweeping: bool = False


def _group_lr(optimizer: torch.optim.Optimizer) -> float:
    lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    return float(lr) if isinstance(lr, (int, float, torch.Tensor)) else math.nan


def _accumulated_loader(loader: Any, micro: int) -> DataLoader[Any] | None:
    """The script's loader with its batches `micro` times larger, drawn by the same sampler: what
    each optimizer step of a loop that accumulates `micro` micro-batches trains on. None when there
    is no accumulation, or the loader is not a plain map-style DataLoader with a batch size."""
    from torch.utils.data import IterableDataset

    size = getattr(loader, "batch_size", None)
    if micro < 2 or type(loader) is not DataLoader or not isinstance(size, int) or size < 1:
        return None
    if isinstance(loader.dataset, IterableDataset) or loader.sampler is None:
        return None
    return DataLoader(
        loader.dataset,
        batch_size=size * micro,
        sampler=loader.sampler,
        collate_fn=loader.collate_fn,
        drop_last=loader.drop_last,
        generator=loader.generator,
    )


def _describe_loader(loader: Any) -> str:
    dataset = getattr(loader, "dataset", None)
    try:
        size = f"{len(dataset)} samples" if dataset is not None else "samples"
    except TypeError:
        size = type(dataset).__name__
    shuffled = ", shuffled" if _shuffles(loader) else ""
    batch = getattr(loader, "batch_size", None)
    return f"{type(dataset).__name__} of {size}, batch {batch}{shuffled}"


def _describe_optimizer(optimizer: torch.optim.Optimizer) -> str:
    group = optimizer.param_groups[0]
    lr = group.get("initial_lr", group.get("lr"))
    extra = f", {len(optimizer.param_groups)} param groups" if len(optimizer.param_groups) > 1 else ""
    lr_text = f"{float(lr):.3g}" if isinstance(lr, (int, float, torch.Tensor)) else str(lr)
    return f"{type(optimizer).__name__} (lr {lr_text}{extra})"


def _optimizer_factory(optimizer: torch.optim.Optimizer, model: nn.Module) -> Callable[[Iterable[Any]], Any]:
    """A factory for an optimizer of the same class and per-group settings over a copy of `model`.

    Parameters the optimizer holds outside the model are left out; a group's `initial_lr` (the base
    LR a scheduler started from) is its LR.
    """
    import inspect

    order = [name for name, _ in model.named_parameters()]
    names = {id(p): name for name, p in model.named_parameters()}
    groups = []
    for group in optimizer.param_groups:
        settings = {k: _clone(v) for k, v in group.items() if k != "params"}
        if "initial_lr" in settings:
            settings["lr"] = _clone(settings["initial_lr"])
        members = [names[id(p)] for p in group["params"] if id(p) in names]
        if members:
            groups.append((settings, members))
    cls = type(optimizer)
    accepted = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    defaults = {k: _clone(v) for k, v in optimizer.defaults.items() if takes_any or k in accepted}

    def factory(params: Iterable[Any]) -> Any:
        by_name = dict(zip(order, list(params), strict=False))
        param_groups = [
            {**{k: _clone(v) for k, v in settings.items()}, "params": [by_name[n] for n in members if n in by_name]}
            for settings, members in groups
        ]
        return cls([g for g in param_groups if g["params"]], **defaults)

    return factory


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return copy.deepcopy(value)


def _hints(loss: str | None, output: Any) -> dict[str, Any]:
    if loss is None:
        return {}
    name = loss.removeprefix("F.")
    if name in CLASSIFICATION_LOSSES and isinstance(output, torch.Tensor) and output.ndim == 2:
        return {"task": "classification", "num_classes": int(output.shape[1])}
    if name in BINARY_LOSSES and isinstance(output, torch.Tensor) and output.shape[-1:] in ((1,), ()):
        return {"task": "binary"}
    if name in REGRESSION_LOSSES:
        return {"task": "regression"}
    return {}


def _is_user_frame(filename: str) -> bool:
    return not (filename.startswith(_SKIPPED) or filename.startswith("<") or "/lib/python3" in filename)


def _frame_names() -> dict[int, list[str]]:
    """id(object) -> the variable names the script's frames (and one attribute level of their
    plain objects, e.g. `self.model`) give it, innermost frame first."""
    found: dict[int, list[str]] = {}
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if _is_user_frame(frame.f_code.co_filename):
            for name, value in list(frame.f_locals.items()):
                if name.startswith("__"):
                    continue
                found.setdefault(id(value), []).append(name)
                if not isinstance(value, (nn.Module, torch.Tensor, type)) and hasattr(value, "__dict__"):
                    with contextlib.suppress(Exception):
                        for attr, inner in list(vars(value).items())[:200]:
                            found.setdefault(id(inner), []).append(f"{name}.{attr}")
        frame = frame.f_back
    return found


def _step_site() -> str | None:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if _is_user_frame(frame.f_code.co_filename):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _matches(obj: Any, wanted: str, names: dict[int, list[str]]) -> bool:
    own = names.get(id(obj), [])
    return wanted == type(obj).__name__ or wanted in own or any(n.rsplit(".", 1)[-1] == wanted for n in own)


def _pick_name(obj: Any, names: dict[int, list[str]]) -> str:
    own = names.get(id(obj))
    return own[0].rsplit(".", 1)[-1] if own else type(obj).__name__


# ---------------------------------------------------------------------------------------------
# the entry point


def capture(
    path: str | Path,
    argv: Iterable[str] = (),
    *,
    model: str | None = None,
    optimizer: str | None = None,
    seed: int | None = 0,
) -> Capture:
    """Run the training script `path` with `argv` until its first optimizer step and capture it.

    model, optimizer: pick among several (a variable name or a class name); see the module doc.
    seed: seed torch, `random` and NumPy before the script runs (None leaves them alone); the
        caller's RNG state is restored afterwards either way.

    The script's printed output goes to stderr. Raises `CaptureError` (a `TargetError`) with a
    clear message when the script ends, exits or raises before its first step, or when the capture
    is ambiguous; KeyboardInterrupt passes through.
    """
    from nndoctor.rng import RngState, seed_everything

    script = Path(path)
    args = [str(a) for a in argv]
    if not script.exists():
        raise CaptureError(f"The training script {script} does not exist.")
    if script.suffix != ".py" or script.is_dir():
        raise CaptureError(f"{script} is not a Python file; `nndoctor check` runs .py training scripts.")
    listener = _CaptureListener(script, model, optimizer)
    saved = RngState()
    try:
        if seed is not None:
            seed_everything(seed)
        with observing(listener) as observation:
            listener.observation = observation
            outcome = run_script(script, args, stdout_to_stderr=True)
    finally:
        saved.restore()
    if outcome.status == "interrupted":
        outcome.reraise()
    if listener.failure is not None:
        if isinstance(listener.failure, TargetError | UsageError):
            raise listener.failure
        raise CaptureError(
            f"Capturing {script.name} failed: {type(listener.failure).__name__}: {listener.failure}."
        ) from listener.failure
    if listener.result is None and listener.collecting is not None:  # a short loader-free script ended
        listener.finish_collection()
    if listener.result is None and listener.pending is not None:  # the script ended after its first step
        listener.result = listener.pending.result
    result = listener.result
    if result is None:
        raise _no_capture_error(script, args, outcome, listener)
    return _to_capture(script, args, result, outcome)


def _no_capture_error(
    script: Path, args: list[str], outcome: ScriptOutcome, listener: _CaptureListener
) -> CaptureError:
    name = script.name
    argv_hint = (
        f" It ran with the arguments {' '.join(args)!r}."
        if args
        else f" Pass the script's own arguments after `--`: nndoctor check {script} -- --epochs 1 ..."
    )
    if outcome.status == "exit":
        message = f" ({outcome.exit_message})" if outcome.exit_message else ""
        site = outcome.exit_site
        at = f" at {_short(site)}" if site else ""
        error = CaptureError(
            f"{name} called sys.exit({outcome.exit_code}){message}{at} before its first optimizer step, so there was "
            f"nothing to capture (an argparse error prints the script's usage above).{argv_hint}"
        )
    elif outcome.status == "error":
        exc = outcome.exception
        site = outcome.error_site
        at = f" at {_short(site)}" if site else ""
        error = CaptureError(
            f"{name} raised {type(exc).__name__}{at} before its first optimizer step: {exc}. Fix the script or its "
            f"arguments (given after `--`) and run again; --debug shows the traceback."
        )
        error.__cause__ = exc
    else:
        skipped = listener.steps_skipped
        if skipped and (listener.pick_model or listener.pick_optimizer):
            picked = " ".join(
                f"--{k} {v}" for k, v in (("model", listener.pick_model), ("optimizer", listener.pick_optimizer)) if v
            )
            error = CaptureError(
                f"{name} ran {skipped} optimizer step(s), none of them of the {picked} asked for. Check the "
                "variable or class name."
            )
        else:
            error = CaptureError(
                f"{name} ran to its end without calling optimizer.step() on a torch.optim optimizer, so there was "
                "nothing to capture. `nndoctor check` captures a training script at its first optimizer step; "
                f"otherwise give it a recipe defining build_model() and build_data() (`nndoctor init` writes one).{argv_hint}"
            )
    return error


def _summary(script: Path, captured: list[Captured]) -> str:
    """'model MLP :78, Adam :80, CrossEntropyLoss :79, train loader :75, val loader :76': what was
    captured, each with the line that built it (`file:line` when not in the script itself)."""
    parts = []
    for item in captured:
        what = item.description.split(" (")[0]
        label = {"model": f"model {what}", "train loader": "train loader", "val loader": "val loader"}.get(
            item.kind, what
        )
        site = ""
        if item.site:
            file, _, line = item.site.rpartition(":")
            same = _same_file(file, script)
            site = f" :{line}" if same else f" {_short(item.site)}"
        parts.append(label + site)
    return ", ".join(parts)


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


def _to_capture(script: Path, args: list[str], result: dict[str, Any], outcome: ScriptOutcome) -> Capture:
    captured: list[Captured] = result["captured"]
    locations: dict[str, str] = {"script": f"{script}:1"}
    keys = {
        "model": "build_model",
        "optimizer": "build_optimizer",
        "loss": "build_loss",
        "train loader": "build_data",
        "val loader": "val_data",
        "gradient clipping": "clip_grad",
    }
    for item in captured:
        if item.site:
            locations[keys[item.kind]] = item.site
    target = Target(
        name=f"{script} (captured at the first step: {_summary(script, captured)})",
        model=result["model"],
        train_data=result["train"],
        val_data=result["val"],
        loss_fn=result["loss_fn"],
        optimizer_factory=result["optimizer_factory"],
        forward_fn=result["forward_fn"],
        hints=result["hints"],
        locations=locations,
        script_gradients=result["script_gradients"],
    )
    result_capture = Capture(
        script=script,
        argv=args,
        target=target,
        captured=captured,
        outcome=outcome,
        step_site=result["step_site"],
        notes=result["notes"],
    )
    target.capture = {**result_capture.to_dict(), "description": result_capture.describe()}
    return result_capture
