"""Loading a target, the same way for the CLI and the Python API.

Two steps, so that settings are resolved before anything is built: `read_target` reads what the
target says about the run (a YAML config's `check:` block) without executing user code, and
`build_target` builds the model and data with the resolved seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nndoctor.errors import UsageError
from nndoctor.settings import Layer, RunSettings
from nndoctor.targets.model import Target, TargetSpec

__all__ = ["ReadTarget", "Target", "TargetSpec", "build_target", "load_target", "read_target", "script_path"]


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
    script = script_path(spec)
    if script is None and (spec.script_args or spec.pick_model or spec.pick_optimizer):
        given = [
            name
            for name, value in (
                ("script arguments after `--`", spec.script_args),
                ("--model", spec.pick_model),
                ("--optimizer", spec.pick_optimizer),
            )
            if value
        ]
        what = spec.recipe or (spec.config and f"--config {spec.config}") or (spec.data and "--data") or "the sample"
        raise UsageError(
            f"{' and '.join(given)} apply to a training script (a .py file without build_model()), and {what} is "
            "not one: leave them out, or pass the script as TARGET."
        )
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
    script = script_path(spec)
    if script is not None:
        from nndoctor.observe.capture import capture

        captured = capture(
            script,
            spec.script_args,
            model=spec.pick_model,
            optimizer=spec.pick_optimizer,
            seed=settings.seed,
        )
        return captured.target
    from nndoctor.targets.recipe import load_recipe

    return load_recipe(spec.recipe, seed=settings.seed)


def script_path(spec: TargetSpec) -> Path | None:
    """The TARGET as a training script to capture: an existing .py file (no `:selector`) that
    defines no `build_model` (read with ast, nothing runs); None for recipes and everything else."""
    target = spec.recipe
    if target is None or not target.endswith(".py"):
        return None
    path = Path(target)
    if not path.is_file():
        return None
    from nndoctor.targets.script import is_script

    return path if is_script(path) else None


def load_target(spec: TargetSpec, settings: RunSettings) -> Target:
    """Read and build in one call (for callers whose settings are resolved already)."""
    return build_target(read_target(spec), settings)
