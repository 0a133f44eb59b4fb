"""Loading a target, the same way for the CLI and the Python API.

Two steps, so that settings are resolved before anything is built: `read_target` reads what the
target says about the run (a YAML config's `check:` block) without executing user code, and
`build_target` builds the model and data with the resolved seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nndoctor.errors import UsageError
from nndoctor.settings import Layer, RunSettings
from nndoctor.targets.model import Target, TargetSpec

__all__ = ["ReadTarget", "Target", "TargetSpec", "build_target", "load_target", "read_target"]


@dataclass(frozen=True)
class ReadTarget:
    """A target spec after its files were read and checked, before any user code ran."""

    spec: TargetSpec
    config_data: dict[str, Any] | None = None
    layer: Layer | None = None  # the config's `check:` block, a level of the settings precedence


def read_target(spec: TargetSpec) -> ReadTarget:
    given = spec.given
    if len(given) > 1:
        raise UsageError(f"Give one target, not {' and '.join(given)}.")
    if spec.label is not None and spec.data is None:
        raise UsageError("--target names the label column of a --data file; it needs --data.")
    if spec.config is not None:
        from nndoctor.targets.config import config_layer, read_config

        data = read_config(spec.config)
        return ReadTarget(spec, data, config_layer(spec.config, data))
    return ReadTarget(spec)


def build_target(read: ReadTarget, settings: RunSettings) -> Target:
    """Build the model and data; every builder runs seeded with the run's seed."""
    spec = read.spec
    if spec.config is not None:
        from nndoctor.targets.config import load_config

        assert read.config_data is not None
        return load_config(spec.config, read.config_data, seed=settings.seed)
    if spec.data is not None:
        from nndoctor.targets.table import load_table

        return load_table(spec.data, spec.label, seed=settings.seed)
    from nndoctor.targets.recipe import load_recipe

    return load_recipe(spec.recipe, seed=settings.seed)


def load_target(spec: TargetSpec, settings: RunSettings) -> Target:
    """Read and build in one call (for callers whose settings are resolved already)."""
    return build_target(read_target(spec), settings)
