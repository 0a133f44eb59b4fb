"""The authoring API for probes: the measured experiments checks read.

A probe is one decorated function run at most once per run. Its parameters say what it needs:

- `ctx`: the run's `Context` (batches, loss, optimizer factory, device);
- `model`: the private working model; asking for it makes the probe an *experiment*, which the
  engine runs inside `ctx.experiment()`: the model is reset to its initial state (weights, train
  mode, no gradients, seeded RNG) before, and again after, so no probe has to remember to;
- `settings`: an instance of the probe's declared settings dataclass (`settings=` below), with
  the profile's values applied and validated;
- any other name: the result of the probe of that name, computed first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, is_dataclass
from typing import Any

from nndoctor.check import COSTS

RESERVED = ("ctx", "model", "settings")


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    title: str
    cost: str
    func: Callable[..., Any]
    needs: tuple[str, ...]  # other probes whose results it receives
    settings: type | None  # its settings dataclass, or None
    experiment: bool  # it trains or runs the private model (takes `model`)


def probe(
    name: str, title: str, *, cost: str, settings: type | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a probe (see the module docstring for what its parameters mean)."""
    if cost not in COSTS:
        raise TypeError(f"probe {name}: cost must be one of {COSTS}")
    if settings is not None and not is_dataclass(settings):
        raise TypeError(f"probe {name}: settings must be a dataclass declared with nndoctor.settings.setting")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(func).parameters)
        if "ctx" not in params:
            raise TypeError(f"probe {name}: the function must take `ctx`")
        if "settings" in params and settings is None:
            raise TypeError(f"probe {name}: takes `settings` but declares no settings class")
        spec = ProbeSpec(
            name=name,
            title=title,
            cost=cost,
            func=func,
            needs=tuple(p for p in params if p not in RESERVED),
            settings=settings,
            experiment="model" in params,
        )
        func.__nndoctor_probe__ = spec  # type: ignore[attr-defined]
        return func

    return decorate
