"""Random-number state: seeding experiments and putting the user's RNG streams back afterwards.

A run must leave the user's data-loader shuffling and dropout sequences exactly where they were,
so every generator nndoctor may advance is saved when a run opens and restored when it closes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import torch


class RngState:
    """Saves and restores every global RNG a training script may depend on."""

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
    """Seed torch (CPU and CUDA), Python's `random` and NumPy's global generator.

    The CPU generator is seeded directly and the accelerators only once they are initialized:
    `torch.manual_seed` on a process whose CUDA is not initialized queues a lazy seeding call with
    a formatted stack trace (~5 ms each, and the queue grows), which every experiment's two resets
    paid. A device initialized later by a run is always initialized before its first reset.
    """
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_initialized():
        torch.cuda.manual_seed_all(seed)
    mps = getattr(torch, "mps", None)
    if mps is not None and torch.backends.mps.is_available():
        mps.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % (2**32))
    except ImportError:  # pragma: no cover
        pass


def loader_generators(loader: Any) -> list[torch.Generator]:
    """The generators a DataLoader's shuffling draws from; iterating the loader advances them."""
    found: list[torch.Generator] = []
    batch_sampler = getattr(loader, "batch_sampler", None)
    for owner in (loader, getattr(loader, "sampler", None), getattr(batch_sampler, "sampler", None)):
        generator = getattr(owner, "generator", None)
        if isinstance(generator, torch.Generator) and all(generator is not g for g in found):
            found.append(generator)
    return found


class GeneratorStates:
    """The states of some torch.Generators, to put back after iterating their loaders."""

    def __init__(self, generators: Iterable[torch.Generator]) -> None:
        self.saved = [(g, g.get_state()) for g in generators]

    def restore(self) -> None:
        for generator, state in self.saved:
            generator.set_state(state)
