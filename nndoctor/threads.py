"""CPU thread policy of the `nndoctor` command (the Python API leaves the user's settings alone).

Two measured problems on a busy machine (see benchmarks/PERF.md): OpenMP worker threads that spin
while they wait for work steal the CPU from every other process (and from each other when cores
are oversubscribed), and a small model's step is dominated by the cost of waking threads, not by
arithmetic. So the command line

- sets a passive OpenMP wait policy before torch loads (`prepare_process`), unless the user set
  `OMP_WAIT_POLICY`: idle workers sleep instead of spinning;
- runs a model whose training step is small (`SMALL_WORK_MACS` multiply-adds per forward pass on
  one batch) on one torch thread, and leaves bigger models on torch's default (`run_threads`).

The user's choice always wins: `OMP_NUM_THREADS` or `MKL_NUM_THREADS` in the environment, or a
`torch.set_num_threads(...)` call in the recipe (seen as a thread count that differs from the one
torch started with), and nothing is changed. In the Python API (`nndoctor.diagnose`) nothing is
changed either: the process belongs to the user. The chosen count applies while the run's context
is open and is put back when it closes. Thread counts change timings, never the step budgets, so
verdicts do not depend on this policy.

Importing this module never imports torch.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

# forward-pass multiply-adds on one batch below which one thread is faster than several on a
# shared or oversubscribed machine and about as fast on an idle one (benchmarks/perf.py, threads)
SMALL_WORK_MACS = 20_000_000
USER_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")

_state: dict[str, Any] = {"owned": False, "torch_default": None, "user_env": False}


def user_set_threads(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """True when the environment fixes torch's thread count."""
    env = os.environ if environ is None else environ
    return any((env.get(name) or "").strip() for name in USER_THREAD_VARIABLES)


class _RecordTorchDefault(importlib.abc.MetaPathFinder):
    """Notes torch's own thread count the moment `import torch` finishes, before any user code
    can call `torch.set_num_threads`, so that a recipe's explicit choice can be told apart."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != "torch":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        original: Callable[[ModuleType], None] = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            with contextlib.suppress(Exception):
                _state["torch_default"] = int(module.get_num_threads())

        loader.exec_module = exec_module
        return spec


def prepare_process(environ: os._Environ[str] | dict[str, str] | None = None) -> None:
    """Called by the console script before torch loads: the process is nndoctor's to tune."""
    env = os.environ if environ is None else environ
    if not (env.get("OMP_WAIT_POLICY") or "").strip():
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    _state["owned"] = True
    _state["user_env"] = user_set_threads(env)
    if "torch" in sys.modules:
        with contextlib.suppress(Exception):
            _state["torch_default"] = int(sys.modules["torch"].get_num_threads())
    elif not any(isinstance(f, _RecordTorchDefault) for f in sys.meta_path):
        sys.meta_path.insert(0, _RecordTorchDefault())


def process_owned() -> bool:
    return bool(_state["owned"])


def choose_threads(work_macs: int | None, current: int) -> int:
    """One thread for a small model's step, torch's current count otherwise."""
    if work_macs is not None and work_macs < SMALL_WORK_MACS:
        return 1
    return current


def forward_macs(model: Any, run_forward: Callable[[], Any]) -> int | None:
    """Multiply-adds of Linear/Conv/bilinear-like layers in one forward pass (counted by hooks on
    the output shapes, no timing); None when the forward fails."""
    import torch
    from torch import nn

    total = 0

    def count(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        nonlocal total
        out = output if isinstance(output, torch.Tensor) else None
        weight = getattr(module, "weight", None)
        if out is None or not isinstance(weight, torch.Tensor):
            return
        if isinstance(module, nn.Linear):
            total += out.numel() * module.in_features
        elif isinstance(module, nn.modules.conv._ConvNd):
            total += out.numel() * math.prod(weight.shape[1:])  # in/groups x kernel per output
        else:  # embeddings, norms, recurrent cells...: about one multiply-add per weight per sample
            total += weight.numel() * (out.shape[0] if out.dim() else 1)

    handles = [m.register_forward_hook(count) for m in model.modules()]
    try:
        with torch.no_grad():
            run_forward()
    except Exception:  # noqa: BLE001 - the user's forward; the run reports its errors itself
        return None
    finally:
        for handle in handles:
            handle.remove()
    return total


@contextlib.contextmanager
def run_threads(model: Any, run_forward: Callable[[], Any]) -> Iterator[int | None]:
    """While a run's context is open: the thread count for this model, when the process is
    nndoctor's and the user chose none; yields the count set (None: nothing changed)."""
    if not _state["owned"] or _state["user_env"]:
        yield None
        return
    import torch

    current = torch.get_num_threads()
    default = _state["torch_default"]
    if default is not None and current != default:  # the recipe called torch.set_num_threads
        yield None
        return
    chosen = choose_threads(forward_macs(model, run_forward), current)
    if chosen == current:
        yield None
        return
    torch.set_num_threads(chosen)
    try:
        yield chosen
    finally:
        torch.set_num_threads(current)
