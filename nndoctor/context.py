"""The run context: the user's setup made safe to experiment on.

nndoctor never touches the user's objects: it deep-copies the model onto the chosen device and
every probe starts from the same saved initial state with the same seed. The global RNG state is
saved when the context opens and restored when it closes, so the user's data-loader shuffling
and dropout sequences are unaffected by a run.
"""

from __future__ import annotations

import contextlib
import copy
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.errors import Skip, TargetError, UsageError
from nndoctor.target import Target

Batch = Any
ForwardFn = Callable[[nn.Module, Batch], tuple[Any, Any]]
LossFn = Callable[[Any, Any], torch.Tensor]
OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


@dataclass
class Settings:
    """Knobs that shape the experiments; profiles and CLI options fill them."""

    device: str = "auto"
    seed: int = 0
    precision: str = "fp32"  # fp32 | bf16 | fp16
    max_batches: int = 32  # batches taken from each loader and kept on the device
    budget_s: float | None = None  # overall wall-clock budget for the training probes
    probe: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-probe settings

    def probe_setting(self, probe: str, key: str, default: Any) -> Any:
        return self.probe.get(probe, {}).get(key, default)


def resolve_device(spec: str) -> torch.device:
    """`auto` picks CUDA when present; asking for CUDA without one is a usage error."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(
                f"--device {spec} was requested but this torch build sees no CUDA device "
                f"(torch {torch.__version__}, cuda available: False). Use --device cpu or "
                "--device auto, or install a CUDA build of torch on a machine with a GPU."
            )
        device = torch.device(spec)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UsageError(
                f"--device {spec}: only {torch.cuda.device_count()} CUDA device(s) are visible "
                f"(indices 0..{torch.cuda.device_count() - 1})."
            )
        return device
    raise UsageError(f"--device {spec!r} is not understood; use auto, cpu, cuda or cuda:N.")


def map_tensors(obj: Any, fn: Callable[[torch.Tensor], Any]) -> Any:
    """Apply `fn` to every tensor inside nested tuples/lists/dicts/namedtuples, in order."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(map_tensors(v, fn) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(v, fn) for v in obj)
    return obj


def move_to(obj: Any, device: torch.device) -> Any:
    """Move tensors inside nested tuples/lists/dicts to `device`."""
    return map_tensors(obj, lambda t: t.to(device, non_blocking=True))


def describe_shapes(obj: Any) -> str:
    """A short description of what is inside a batch, for error messages."""
    if isinstance(obj, torch.Tensor):
        return f"Tensor{list(obj.shape)} {str(obj.dtype).replace('torch.', '')}"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {describe_shapes(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(describe_shapes(v) for v in obj)
        return f"({inner})" if isinstance(obj, tuple) else f"[{inner}]"
    return type(obj).__name__


def default_forward(model: nn.Module, batch: Batch) -> tuple[Any, Any]:
    """`x, y = batch; return model(x), y` (tuples are unpacked, dicts passed as keywords)."""
    if isinstance(batch, dict) or not isinstance(batch, (list, tuple)) or len(batch) != 2:
        raise TargetError(
            f"A training batch is {describe_shapes(batch)}, not an (inputs, targets) pair, so "
            "nndoctor does not know how to feed it to the model. Define `forward(model, batch)` "
            "in the recipe returning (output, target) for one batch."
        )
    inputs, targets = batch
    if isinstance(inputs, dict):
        return model(**inputs), targets
    if isinstance(inputs, (list, tuple)):
        return model(*inputs), targets
    return model(inputs), targets


def first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor found in a nested structure (model inputs are often tuples or dicts)."""
    if isinstance(obj, torch.Tensor):
        return obj
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else []
    for value in values:
        found = first_tensor(value)
        if found is not None:
            return found
    return None


@dataclass
class CapturedInput:
    """The first tensor the model received in a forward call (see `watch_input`)."""

    tensor: torch.Tensor | None = None
    integer: bool = False  # the model's input is integer ids (no input gradient exists)


@contextlib.contextmanager
def watch_input(model: nn.Module, requires_grad: bool = False) -> Iterator[CapturedInput]:
    """Capture the model's input in its next forward call, whatever the recipe's forward does.

    With `requires_grad`, the input is replaced by a differentiable copy, so gradients with
    respect to it can be taken (batch independence, graph depth).
    """
    captured = CapturedInput()

    def hook(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if captured.tensor is not None or captured.integer:
            return None  # only the outermost call: the model's own input

        def swap(tensor: torch.Tensor) -> torch.Tensor:
            if not tensor.is_floating_point():
                captured.integer = True
                captured.tensor = None if requires_grad else tensor
                return tensor
            captured.tensor = tensor.detach().clone().requires_grad_(True) if requires_grad else tensor
            return captured.tensor

        done = False

        def swap_first(tensor: torch.Tensor) -> torch.Tensor:
            nonlocal done
            if done:
                return tensor
            done = True
            return swap(tensor)

        new_args = map_tensors(args, swap_first)
        new_kwargs = map_tensors(kwargs, swap_first)
        return (new_args, new_kwargs) if requires_grad else None

    handle = model.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield captured
    finally:
        handle.remove()


def batch_size_of(batch: Batch) -> int | None:
    tensor = first_tensor(batch[0] if isinstance(batch, (list, tuple)) and batch else batch)
    return int(tensor.shape[0]) if tensor is not None and tensor.dim() > 0 else None


def _loader_generators(loader: Any) -> list[torch.Generator]:
    """The generators a DataLoader's shuffling draws from; iterating the loader advances them."""
    found: list[torch.Generator] = []
    batch_sampler = getattr(loader, "batch_sampler", None)
    for owner in (loader, getattr(loader, "sampler", None), getattr(batch_sampler, "sampler", None)):
        generator = getattr(owner, "generator", None)
        if isinstance(generator, torch.Generator) and all(generator is not g for g in found):
            found.append(generator)
    return found


class RngState:
    """Saves and restores every RNG a training script may depend on."""

    def __init__(self) -> None:
        self.torch = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        self.python = random.getstate()
        try:
            import numpy as np

            self.numpy: Any = np.random.get_state()
        except ImportError:  # pragma: no cover - numpy ships with torch wheels
            self.numpy = None

    def restore(self) -> None:
        torch.set_rng_state(self.torch)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)
        random.setstate(self.python)
        if self.numpy is not None:
            import numpy as np

            np.random.set_state(self.numpy)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % (2**32))
    except ImportError:  # pragma: no cover
        pass


class Context:
    """What probes see: a private copy of the model, device-resident batches, loss and optimizer.

    `fresh_model()` hands out the working model reset to its initial state, train mode and seeded
    RNG, so every experiment starts from the same point and none leaks into the next.
    """

    def __init__(
        self,
        *,
        model: nn.Module,
        train_data: Iterable[Batch],
        val_data: Iterable[Batch] | None,
        loss_fn: LossFn | None,
        optimizer_factory: OptimizerFactory | None,
        forward_fn: ForwardFn | None,
        hints: dict[str, Any] | None,
        settings: Settings,
        target_name: str = "<model>",
    ) -> None:
        self.settings = settings
        self.device = resolve_device(settings.device)
        self.seed = settings.seed
        self.target_name = target_name
        self.hints = dict(hints or {})
        self.user_forward = forward_fn
        self.forward_fn: ForwardFn = forward_fn or default_forward
        self.user_loss = loss_fn
        self.loss_fn: LossFn | None = loss_fn
        self.optimizer_factory = optimizer_factory
        self.train_data = train_data
        self.val_data = val_data
        self.user_model = model
        self._rng_at_open = RngState()
        self.model = self._working_copy(model)
        self._initial_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self._train_batches: list[Batch] | None = None
        self._val_batches: list[Batch] | None = None
        self.progress: Any = None
        self.blocked: str | None = None
        self.artifacts: dict[str, Any] = {}
        self.probe: Callable[[str], Any] = self._no_probes
        self.started = time.perf_counter()
        self.deadline = self.started + settings.budget_s if settings.budget_s else None

    @classmethod
    def from_target(cls, target: Target, settings: Settings) -> Context:
        return cls(
            model=target.model,
            train_data=target.train_data,
            val_data=target.val_data,
            loss_fn=target.loss_fn,
            optimizer_factory=target.optimizer_factory,
            forward_fn=target.forward_fn,
            hints=target.hints,
            settings=settings,
            target_name=target.name,
        )

    @staticmethod
    def _no_probes(name: str) -> Any:
        raise RuntimeError(f"probe {name!r} requested before the engine attached the probe cache")

    # -- lifecycle -------------------------------------------------------------------------
    def _working_copy(self, model: nn.Module) -> nn.Module:
        if not isinstance(model, nn.Module):
            raise TargetError(
                f"The model is a {type(model).__name__}, not a torch.nn.Module: `build_model()` "
                "(or the model passed to diagnose) must return an nn.Module instance."
            )
        try:
            working = copy.deepcopy(model)
        except Exception as exc:
            raise TargetError(
                f"nndoctor works on a private copy of the model so your object is never changed, "
                f"but copy.deepcopy({type(model).__name__}) failed: {exc}. Make the model "
                "deep-copyable (no open files, locks or generators as attributes)."
            ) from exc
        return working.to(self.device)

    def close(self) -> None:
        """Restore the global RNG state the user had before nndoctor ran."""
        self._rng_at_open.restore()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fresh_model(self) -> nn.Module:
        """The working model, reset to the initial weights, in train mode, grads cleared, seeded."""
        with torch.no_grad():
            for key, value in self.model.state_dict().items():
                value.copy_(self._initial_state[key])
        self.model.train()
        self.model.zero_grad(set_to_none=True)
        seed_everything(self.seed)
        return self.model

    def time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.perf_counter()

    # -- data ------------------------------------------------------------------------------
    def train_batches(self) -> list[Batch]:
        if self._train_batches is None:
            self._train_batches = self._materialize(self.train_data, "training")
        return self._train_batches

    def val_batches(self) -> list[Batch] | None:
        if self.val_data is None:
            return None
        if self._val_batches is None:
            self._val_batches = self._materialize(self.val_data, "validation")
        return self._val_batches

    def _materialize(self, loader: Iterable[Batch], which: str) -> list[Batch]:
        shuffling = [(g, g.get_state()) for g in _loader_generators(loader)]
        try:
            iterator = iter(loader)
        except TypeError as exc:
            raise TargetError(
                f"The {which} data is a {type(loader).__name__}, which is not iterable. "
                "`build_data()` must return a DataLoader or any iterable of batches."
            ) from exc
        batches = []
        try:
            for batch in iterator:
                batches.append(move_to(batch, self.device))
                if len(batches) >= self.settings.max_batches:
                    break
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(
                f"Iterating the {which} data raised {type(exc).__name__}: {exc}. "
                "Check the dataset's __getitem__ and the loader's collate_fn."
            ) from exc
        finally:
            for generator, state in shuffling:  # the user's next epoch is shuffled as if we never looked
                generator.set_state(state)
        if not batches:
            raise TargetError(
                f"The {which} loader of {self.target_name} yielded no batches. Check that the dataset "
                "is not empty and that drop_last=True does not drop the only (partial) batch."
            )
        return batches

    # -- model execution -------------------------------------------------------------------
    def forward(self, model: nn.Module, batch: Batch) -> tuple[Any, Any]:
        return self.forward_fn(model, batch)

    def loss(self, output: Any, target: Any) -> torch.Tensor:
        if self.blocked:
            raise Skip(f"{self.blocked} (see ND102)")
        assert self.loss_fn is not None, "the setup probe sets the loss"
        return self.loss_fn(output, target)

    def make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        factory = self.optimizer_factory or (lambda params: torch.optim.Adam(params, lr=1e-3))
        return factory(model.parameters())

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """Autocast for the requested precision (a no-op for fp32)."""
        if self.settings.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.settings.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    @contextlib.contextmanager
    def progress_task(self, description: str, total: int) -> Iterator[Callable[..., None]]:
        """A progress bar for a long probe (a no-op without a progress sink)."""
        sink = getattr(self, "progress", None)
        if sink is None:
            yield lambda n=1: None
            return
        with sink.task(description, total) as advance:
            yield advance

    def iterate_train(self, steps: int) -> Iterator[Batch]:
        """`steps` training batches, cycling through the device-resident ones."""
        batches = self.train_batches()
        for step in range(steps):
            yield batches[step % len(batches)]
