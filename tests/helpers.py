"""Running nndoctor from tests the way the API does: one call, explicit settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nndoctor.api import run_target
from nndoctor.report.model import Report
from nndoctor.settings import RunSettings, SettingsRequest, resolve_settings
from nndoctor.targets import Target, TargetSpec, load_target


def settings(**request: Any) -> RunSettings:
    """Resolved settings for explicit values (SettingsRequest fields: profile, select, seed, ...)."""
    return resolve_settings(SettingsRequest(**request))


def load(path: str | Path, **request: Any) -> Target:
    """A recipe built with the seed the settings resolve to."""
    return load_target(TargetSpec(recipe=str(path)), settings(**request))


def run(target: Target | str | Path, **request: Any) -> Report:
    """Run checks on a built target or a recipe path with explicit settings."""
    resolved = settings(**request)
    built = target if isinstance(target, Target) else load_target(TargetSpec(recipe=str(target)), resolved)
    return run_target(built, resolved)
