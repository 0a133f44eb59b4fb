"""The run context: the user's setup made safe to experiment on, built once and then read-only.

`open_context` builds everything probes need before the first probe runs: a private copy of the
model on the chosen device (the user's object is never touched, and the user's module hooks do not
run on the copy), the device-resident batches, the resolved loss and task (`Setup`), the optimizer
factory. Probes never patch it. Every experiment runs inside `ctx.experiment()`, which resets the
private model to its initial state (weights and buffers, train mode, no gradients, seeded RNG) on
entry, and frees its gradients and reseeds the RNG on exit. The global RNG state and the loaders' shuffle generators are restored
when the context closes, so the user's data order and dropout draws are as if nndoctor never ran.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nndoctor.batches import Batch, TrainStream, batch_size_of, describe_shapes, loader_epoch, map_tensors, move_to
from nndoctor.errors import Skip, TargetError, UsageError
from nndoctor.progress import ProgressSink
from nndoctor.registration import find_unregistered, move_strays
from nndoctor.rng import GeneratorStates, RngState, loader_generators, seed_everything
from nndoctor.settings import RunSettings
from nndoctor.setup import Setup, resolve_setup
from nndoctor.targets.model import Target
from nndoctor.threads import run_threads

ForwardFn = Callable[[nn.Module, Batch], tuple[Any, Any]]
LossFn = Callable[[Any, Any], torch.Tensor]
OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]

# module hook dictionaries a copy inherits from the user's model; torch's own hooks (weight norm,
# spectral norm, pruning) are objects of torch classes and stay, since the model needs them
_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
)


def resolve_device(spec: str) -> torch.device:
    """`auto` picks CUDA when present; asking for CUDA without one is a usage error."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise UsageError("--device mps was requested but this torch build sees no MPS device. Use --device cpu.")
        return torch.device("mps")
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


def _is_user_hook(hook: Any) -> bool:
    module = getattr(type(hook), "__module__", "") or ""
    return not (module == "torch" or module.startswith("torch."))


def strip_user_hooks(model: nn.Module) -> int:
    """Remove the user's module hooks from nndoctor's copy; returns how many were removed."""
    removed = 0
    for module in model.modules():
        for attr in _HOOK_DICTS:
            hooks = getattr(module, attr, None)
            if not hooks:
                continue
            for key in [k for k, hook in hooks.items() if _is_user_hook(hook)]:
                del hooks[key]
                removed += 1
                for extra in (
                    "_forward_hooks_with_kwargs",
                    "_forward_hooks_always_called",
                    "_forward_pre_hooks_with_kwargs",
                ):
                    getattr(module, extra, {}).pop(key, None)
    return removed


def working_copy(model: Any, device: torch.device) -> tuple[nn.Module, int]:
    """A private deep copy of the user's model on `device`, without the user's hooks."""
    if not isinstance(model, nn.Module):
        raise TargetError(
            f"The model is {'an' if type(model).__name__[:1] in 'AEIOU' else 'a'} {type(model).__name__}, not a "
            "torch.nn.Module: `build_model()` (or the model passed to diagnose) must return an nn.Module instance."
        )
    meta = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.device.type == "meta"]
    if meta:
        raise TargetError(
            f"The model's tensors are on the 'meta' device (e.g. {meta[0]}): they have shapes but no values, so "
            "nothing can run. Build the model on a real device, or load its weights "
            "(`model.to_empty(device='cpu')` then `load_state_dict`) before handing it to nndoctor."
        )
    # tensors computed from parameters and cached as plain attributes (the old weight_norm,
    # spectral_norm and pruning APIs) cannot be deep-copied; their hooks recompute them on every
    # forward, so the copy starts from a detached clone of each
    memo: dict[int, Any] = {}
    for module in model.modules():
        for value in vars(module).values():
            if isinstance(value, torch.Tensor) and not value.is_leaf:
                memo[id(value)] = value.detach().clone()
    try:
        working = copy.deepcopy(model, memo)
    except Exception as exc:
        raise TargetError(
            f"nndoctor works on a private copy of the model so your object is never changed, "
            f"but copy.deepcopy({type(model).__name__}) failed: {type(exc).__name__}: {exc}. Make the model "
            "deep-copyable (no open files, locks or generators as attributes)."
        ) from exc
    removed = strip_user_hooks(working)
    return working.to(device), removed


def _initial_state(user: nn.Module, working: nn.Module, snapshot: bool) -> dict[str, torch.Tensor]:
    """The state every experiment restores. The user's own tensors serve as it when they cannot
    change during the run and match the copy, which saves a full copy of the weights."""
    state = working.state_dict()
    if snapshot:
        own = user.state_dict()
        if own.keys() == state.keys() and all(
            own[k].shape == v.shape and own[k].dtype == v.dtype for k, v in state.items()
        ):
            return own
    return {k: v.detach().clone() for k, v in state.items()}


@dataclass
class Data:
    """The device-resident batches probes train and evaluate on, and what the loader says."""

    train: list[Batch]
    val: list[Batch] | None
    dataset_size: int | None = None
    loader_batch_size: int | None = None
    drop_last: bool | None = None
    sampler: str | None = None  # the training sampler's class name (SequentialSampler: not shuffled)
    batch_sampler: str | None = None  # its batch sampler's class name (BatchSampler unless the user's own)


def batch_bytes(batch: Batch) -> int:
    """Bytes of the tensors in one batch."""
    total = 0

    def add(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    map_tensors(batch, add)
    return total


def _materialize(
    loader: Iterable[Batch], which: str, device: torch.device, limit: int, name: str, max_bytes: float = math.inf
) -> list[Batch]:
    """Up to `limit` batches, and no more than `max_bytes` of them (one batch at least)."""
    shuffling = GeneratorStates(loader_generators(loader))
    batches: list[Batch] = []
    held = 0
    try:
        try:
            iterator = loader_epoch(loader)
        except TypeError as exc:
            raise TargetError(
                f"The {which} data is a {type(loader).__name__}, which is not iterable. "
                "`build_data()` must return a DataLoader or any iterable of batches."
            ) from exc
        for batch in iterator:
            if batch_size_of(batch) == 0:
                raise TargetError(
                    f"Batch {len(batches) + 1} of the {which} loader of {name} holds no samples "
                    f"(its tensors: {describe_shapes(batch)}); a loss averaged over it is NaN. Check the dataset's length, "
                    "the sampler's indices and any collate_fn that filters samples out."
                )
            size = batch_bytes(batch)
            if batches and held + size > max_bytes:
                break  # the data cap (max_data_mib): the batches held so far are the sample
            held += size
            batches.append(move_to(batch, device))
            if len(batches) >= limit or held >= max_bytes:
                break
    except (TargetError, KeyboardInterrupt):
        raise
    except SystemExit as exc:
        raise TargetError(f"Iterating the {which} data called sys.exit({exc.code!r}).") from None
    except Exception as exc:
        raise TargetError(
            f"Iterating the {which} data raised {type(exc).__name__}: {exc}. "
            "Check the dataset's __getitem__ and the loader's collate_fn."
        ) from exc
    finally:
        shuffling.restore()  # the user's next epoch is shuffled as if nndoctor never looked
    if not batches:
        raise TargetError(
            f"The {which} loader of {name} yielded no batches. Check that the dataset "
            "is not empty and that drop_last=True does not drop the only (partial) batch."
        )
    return batches


# the probe settings that say how many validation batches an experiment evaluates on
VALIDATION_BATCH_SETTINGS = ("eval_batches", "val_batches", "held_batches")


def validation_batches_used(settings: RunSettings) -> int:
    """The most validation batches any experiment of the run reads (at least one): holding more
    of them only costs memory (a 3x224x224 loader's 32 batches are 64 MiB)."""
    counts = [
        value
        for probe_settings in settings.probes.values()
        for name in VALIDATION_BATCH_SETTINGS
        if isinstance(value := getattr(probe_settings, name, None), int)
    ]
    return max([1, *counts])


def load_data(
    target: Target, device: torch.device, limit: int, max_mib: float = math.inf, val_limit: int | None = None
) -> Data:
    cap = max_mib * 2**20
    train = _materialize(target.train_data, "training", device, limit, target.name, cap)
    val = (
        _materialize(target.val_data, "validation", device, min(limit, val_limit or limit), target.name, cap)
        if target.val_data is not None
        else None
    )
    loader = target.train_data
    dataset = getattr(loader, "dataset", None)
    sampler = getattr(loader, "sampler", None)
    batch_sampler = getattr(loader, "batch_sampler", None)
    data = Data(
        train=train,
        val=val,
        sampler=type(sampler).__name__ if sampler is not None else None,
        batch_sampler=type(batch_sampler).__name__ if batch_sampler is not None else None,
    )
    if dataset is not None and hasattr(dataset, "__len__"):
        with contextlib.suppress(TypeError):
            data.dataset_size = len(dataset)
        data.loader_batch_size = getattr(loader, "batch_size", None)
        data.drop_last = getattr(loader, "drop_last", None)
    return data


def reset_model(
    model: nn.Module,
    state: Mapping[str, torch.Tensor],
    seed: int,
    strays: Sequence[tuple[torch.Tensor, torch.Tensor]] = (),
) -> nn.Module:
    """Weights and buffers back to `state`, train mode, no gradients, RNG seeded.

    `strays` are (live, saved) pairs of the tensors the model keeps outside its state_dict (layers
    in plain Python lists, ND107): restored too, so that one experiment never leaks into the next
    through them (a BatchNorm in a list would otherwise carry its running statistics along).
    """
    with torch.no_grad():
        for key, value in model.state_dict().items():
            value.copy_(state[key])
        for live, saved in strays:
            live.copy_(saved)
            live.grad = None
    model.train()
    model.zero_grad(set_to_none=True)
    seed_everything(seed)
    return model


def stray_state(model: nn.Module, device: torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The private copy's unregistered tensors (see `nndoctor.registration`), moved to `device`
    (`.to()` skips them, and the run should report them rather than die on a device mismatch),
    each with a saved copy for `reset_model`."""
    strays = find_unregistered(model)
    if not strays:
        return []
    if move_strays(strays, device):
        strays = find_unregistered(model)  # moved buffers are new tensor objects
    return [(t, t.detach().clone()) for stray in strays for t in stray.live]


@dataclass
class Context:
    """What probes see (see the module docstring); built by `open_context`."""

    target_name: str
    settings: RunSettings
    device: torch.device
    model: nn.Module  # the private working copy: use it through `experiment()`
    user_model: nn.Module
    initial_state: Mapping[str, torch.Tensor]
    forward_fn: ForwardFn
    user_forward: bool
    optimizer_factory: OptimizerFactory | None
    data: Data
    setup: Setup
    hints: Mapping[str, Any] = field(default_factory=dict)
    progress: ProgressSink = field(default_factory=ProgressSink)
    user_hooks_removed: int = 0
    strays: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)  # see reset_model
    train_loader: Any = None  # the user's training loader itself, for `train_stream`
    script_gradients: frozenset[str] = frozenset()  # see Target.script_gradients
    started: float = field(default_factory=time.perf_counter)

    @property
    def seed(self) -> int:
        return self.settings.seed

    # -- experiments --------------------------------------------------------------------------
    @contextlib.contextmanager
    def experiment(self) -> Iterator[nn.Module]:
        """The private model at its initial state. When the block ends its gradients are freed and
        the RNG reseeded; its weights are restored by the next experiment, which is the only way
        anything reads them (one full copy of the weights per experiment instead of two)."""
        try:
            yield reset_model(self.model, self.initial_state, self.seed, self.strays)
        finally:
            self.model.zero_grad(set_to_none=True)
            for live, _ in self.strays:
                live.grad = None
            seed_everything(self.seed)

    def time_left(self) -> float | None:
        """Seconds left of the run's wall-clock safety cap (`budget_s`), or None without one."""
        if self.settings.budget_s is None:
            return None
        return self.started + self.settings.budget_s - time.perf_counter()

    # -- the target's pieces --------------------------------------------------------------------
    def train_batches(self) -> list[Batch]:
        return self.data.train

    def train_stream(self, seed: int | None = None) -> TrainStream:
        """The training loader iterated lazily as training would (see `nndoctor.batches.TrainStream`):
        fresh batches across the epoch, re-iterated when exhausted, shuffled from `seed` (default:
        the run's seed) and the loader's generators put back when the stream closes."""
        loader = self.train_loader
        return TrainStream(
            loader,
            self.device,
            self.seed if seed is None else seed,
            self.data.train,
            loader_generators(loader) if loader is not None else (),
        )

    def val_batches(self) -> list[Batch] | None:
        return self.data.val

    def forward(self, model: nn.Module, batch: Batch) -> tuple[Any, Any]:
        if self.setup.blocked_by == "ND105" and model.training:
            raise Skip(_BLOCKED["ND105"])
        return self.forward_fn(model, batch)

    def loss(self, output: Any, target: Any) -> torch.Tensor:
        if self.setup.blocked:  # the whole reason is said once, by the check that reports it
            raise Skip(_BLOCKED[self.setup.blocked_by])
        return self.setup.loss_fn(output, target)

    def make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        if next(model.parameters(), None) is None:
            raise Skip(
                "the model has no registered parameters, so there is nothing for an optimizer to train "
                "(ND107 finds layers kept in plain Python lists)"
            )
        factory = self.optimizer_factory or (lambda params: torch.optim.Adam(params, lr=1e-3))
        return factory(model.parameters())

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """Autocast for the requested precision (a no-op for fp32)."""
        if self.settings.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.settings.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)


# what an experiment that cannot run says, per check that reports the cause
_BLOCKED = {
    "ND102": "the loss cannot be computed on these targets (see ND102)",
    "ND105": "BatchNorm refuses the training batch in training mode (see ND105)",
    "ND103": "the loss refuses the model's output (see ND103)",
}


@contextlib.contextmanager
def open_context(target: Target, settings: RunSettings, progress: ProgressSink | None = None) -> Iterator[Context]:
    """Build the run's context; on exit the user's RNG streams are restored."""
    rng = RngState()
    stack = contextlib.ExitStack()
    try:
        device = resolve_device(settings.device)
        model, removed = working_copy(target.model, device)
        strays = stray_state(model, device)
        initial = _initial_state(target.model, model, target.model_is_frozen_snapshot)
        if target.capture is not None:
            # a captured script's loaders shuffle from the global RNG, which the capture gave back
            # as it was before the script ran (unseeded, different in every process): the batches
            # held are drawn from the run's seed instead, so the same script gives the same verdicts
            seed_everything(settings.seed)
        data = load_data(target, device, settings.max_batches, settings.max_data_mib, validation_batches_used(settings))
        forward = target.forward_fn or default_forward
        reset_model(model, initial, settings.seed, strays)
        try:
            setup = resolve_setup(
                model,
                data.train,
                forward,
                target.loss_fn,
                target.hints,
                target.forward_fn is not None,
                len(data.val) if data.val is not None else None,
            )
            # the command line's thread count for this model's size (the API changes nothing)
            stack.enter_context(run_threads(model, lambda: forward(model, data.train[0])))
        finally:
            reset_model(model, initial, settings.seed, strays)
        yield Context(
            target_name=target.name,
            settings=settings,
            device=device,
            model=model,
            user_model=target.model,
            initial_state=initial,
            forward_fn=forward,
            user_forward=target.forward_fn is not None,
            optimizer_factory=target.optimizer_factory,
            data=data,
            setup=setup,
            hints=dict(target.hints),
            progress=progress or ProgressSink(),
            user_hooks_removed=removed,
            strays=strays,
            train_loader=target.train_data,
            script_gradients=target.script_gradients,
        )
    finally:
        stack.close()
        rng.restore()
